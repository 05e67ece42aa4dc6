/*
 * ACPI: the tables the board publishes (acpi_tables.c) and the fixed
 * hardware they describe (dev_acpi_pm.c). The port numbers are QEMU's
 * PIIX4 power-management block as SeaBIOS places it (0x600), so a guest
 * finds the same registers under tdpsim and qemu-system-x86_64.
 */
#ifndef TDPSIM_PC_ACPI_H
#define TDPSIM_PC_ACPI_H

#include <stddef.h>
#include <stdint.h>

#define ACPI_PM1A_EVT	 0x600 /* PM1_STS, PM1_EN (ACPI 4.8.3.1) */
#define ACPI_PM1A_CNT	 0x604 /* PM1_CNT (ACPI 4.8.3.2) */
#define ACPI_PM_TMR	 0x608 /* PM_TMR (ACPI 4.8.3.3) */
#define ACPI_SCI_IRQ	 9
#define ACPI_RESET_PORT	 0xcf9
#define ACPI_RESET_VALUE 0x06
/* FADT flags (ACPI 5.2.9 Table 5-35): WBINVD, PROC_C1, PWR_BUTTON and
 * SLP_BUTTON (no fixed buttons), RESET_REG_SUP. */
#define ACPI_FADT_FLAGS	 ((1u << 0) | (1u << 2) | (1u << 4) | (1u << 5) | (1u << 10))
/* The SLP_TYP that _S5 names (the DSDT's AML). */
#define ACPI_S5_SLP_TYP	 0
#define ACPI_TABLES_SIZE 0x340

/* Write every table at @rom, which the guest sees at @base (64-byte
 * aligned, in 0xE0000-0xFFFFF); 0, or -1 if @len is too small. */
int acpi_build(uint8_t *rom, size_t len, uint64_t base);

#endif

/*
 * The libFuzzer entry point every target in fuzz/ defines. Under
 * -DTDPSIM_FUZZ=ON (clang) libFuzzer drives it; in every other build
 * fuzz/replay_main.c does, running the committed corpus once as a test.
 */
#ifndef TDPSIM_FUZZ_FUZZ_H
#define TDPSIM_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif

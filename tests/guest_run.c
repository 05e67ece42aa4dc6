/*
 * Helpers for the guest-kernel tests (see guest_run.h).
 */
#include "guest_run.h"

#include <string.h>

struct spawn_result grun_qemu(const char *qemu, const char *append, const char *const *extra)
{
	static const char *const fixed[] = {
		"-no-reboot", "-nodefaults", "-vga", "none", "-display", "none", "-monitor",
		"none", "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
		"-cpu", "max", "-m", "128", "-accel", "tcg", NULL,
	};
	GPtrArray *a = g_ptr_array_new();
	struct spawn_result r;

	g_ptr_array_add(a, (gpointer)qemu);
	g_ptr_array_add(a, (gpointer) "-kernel");
	g_ptr_array_add(a, (gpointer)PAGETEST_KERNEL);
	g_ptr_array_add(a, (gpointer) "-append");
	g_ptr_array_add(a, (gpointer)append);
	for (unsigned i = 0; fixed[i]; i++)
		g_ptr_array_add(a, (gpointer)fixed[i]);
	for (unsigned i = 0; extra && extra[i]; i++)
		g_ptr_array_add(a, (gpointer)extra[i]);
	g_ptr_array_add(a, NULL);
	r = spawn_argv((const char *const *)a->pdata, 120);
	g_ptr_array_free(a, TRUE);
	return r;
}

gchar *grun_expected(const char *mode)
{
	gchar *path =
	    g_strdup_printf("%s/guests/pagetest/expected/%s.txt", TDPSIM_SOURCE_DIR, mode);
	gchar *text = NULL;

	if (!g_file_get_contents(path, &text, NULL, NULL))
		text = NULL;
	g_free(path);
	return text;
}

gchar *grun_fail_lines(const char *text)
{
	GString *s = g_string_new("");
	gchar **lines = g_strsplit(text ? text : "", "\n", -1);

	for (unsigned i = 0; lines[i]; i++)
		if (g_str_has_prefix(lines[i], "FAIL"))
			g_string_append_printf(s, "%s\n", lines[i]);
	g_strfreev(lines);
	return g_string_free(s, FALSE);
}

/* check-layers fixture: c.c calls a.c, and nothing calls c.c (no cycle). */
void layer_a(int n);
void layer_c(void);
void layer_c(void)
{
	layer_a(3);
}

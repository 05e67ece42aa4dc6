/* check-layers fixture: b.c calls back into a.c. */
void layer_a(int n);
void layer_b(int n);
void layer_b(int n)
{
	layer_a(n);
}

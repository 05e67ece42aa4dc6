/* check-layers fixture: a.c and b.c call each other (a cycle). */
void layer_b(int n);
void layer_a(int n);
void layer_a(int n)
{
	if (n)
		layer_b(n - 1);
}

/*
 * tm_bench: throughput of the timing model, in accesses per second, for
 * a TLB-hit-dominated stream and walk-dominated streams (native and 2D),
 * each against a bare loop that only generates the same stream in the same
 * run. The ratio model time / bare time is the figure: it does not depend
 * much on the machine's clock. Every figure is the median of --reps runs.
 *
 *   tm_bench [--reps N] [--scale F] [--config NAME] [--only SUBSTRING]
 *
 * The bare loop adds every address to a volatile sink, so the compiler
 * cannot drop the generator; the model loop calls tm_access() with the same
 * addresses. Both loops use the same inline generator (synth_cli.h).
 * Times are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID): on a shared
 * machine, time spent descheduled does not count; cache and memory
 * interference from other tenants still does.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "synth_cli.h"
#include "timing/model.h"

static volatile uint64_t sink;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* What a stream times: tm_access() on every address, or an INVLPG of every
 * address (after the warm-up accesses filled the TLBs). */
enum op { OP_ACCESS, OP_INVLPG };

struct scenario {
	const char *name;
	enum synth_pattern pat;
	uint64_t pages, accesses;
	const char *host;   /* NULL: native */
	const char *config; /* NULL: --config (default icelake-sp) */
	enum op op;
};

/* The timed loops are functions of their own at a fixed alignment, so
 * that where the linker puts them (which moved the bare loop's rate by up
 * to 30% between builds of the same source) does not move the ratio. */
#define TIMED_LOOP __attribute__((noinline, aligned(64)))

static TIMED_LOOP double time_bare(struct synth_stream *s, uint64_t n)
{
	uint64_t acc = 0;
	double t0;

	t0 = now();
	for (uint64_t i = 0; i < n; i++)
		acc += synth_stream_next(s);
	sink += acc;
	return now() - t0;
}

static TIMED_LOOP double time_model(struct tm_model *m, struct synth_stream *s, uint64_t va_base,
			 uint64_t n)
{
	double t0;

	t0 = now();
	for (uint64_t i = 0; i < n; i++)
		tm_access(m, va_base + synth_stream_next(s), 8, TM_READ, 3);
	return now() - t0;
}

static TIMED_LOOP double time_invlpg(struct tm_model *m, struct synth_stream *s, uint64_t va_base,
			  uint64_t n)
{
	struct tm_event ev = { .kind = TM_EV_INVLPG };
	double t0;

	t0 = now();
	for (uint64_t i = 0; i < n; i++) {
		ev.addr = va_base + synth_stream_next(s);
		tm_event(m, &ev);
	}
	return now() - t0;
}

static int run(const struct scenario *sc, const struct tm_config *cfg, unsigned reps,
	       double scale)
{
	const struct hv_host_mode *hm = NULL;
	uint64_t n = (uint64_t)((double)sc->accesses * scale), hps = 4096;
	double tb[64], tm[64], walks;
	struct synth_layout l;
	struct synth_stream s;
	struct tm_model *m;
	struct pg_cpu cpu;
	char why[512];

	tm_config_pg_cpu(cfg, &cpu);
	if (sc->host && host_mode_parse("bench", sc->host, NULL, &hm, &hps))
		return 2;
	if (synth_layout_build(&l, guest_mode_find("4level"), &cpu, sc->pages, 4096, hm, hps, 0,
			       false, why, sizeof(why))) {
		fprintf(stderr, "tm_bench: %s\n", why);
		return 2;
	}
	if (synth_stream_init(&s, sc->pat, sc->pages, n, 4096, 4096, 1.0, 1)) {
		fprintf(stderr, "tm_bench: cannot set up the stream\n");
		return 2;
	}
	if (synth_layout_model(&l, cfg, &cpu, &m, why, sizeof(why))) {
		fprintf(stderr, "tm_bench: %s\n", why);
		return 2;
	}
	/* Warm-up: fill TLBs and caches, fault in the tables. */
	time_model(m, &s, l.va_base, n < 1000000 ? n : 1000000);
	for (unsigned r = 0; r < reps; r++) {
		synth_stream_free(&s);
		synth_stream_init(&s, sc->pat, sc->pages, n, 4096, 4096, 1.0, 1);
		tb[r] = time_bare(&s, n);
		synth_stream_free(&s);
		synth_stream_init(&s, sc->pat, sc->pages, n, 4096, 4096, 1.0, 1);
		tm[r] = sc->op == OP_INVLPG ? time_invlpg(m, &s, l.va_base, n)
					    : time_model(m, &s, l.va_base, n);
	}
	walks = (double)tm_model_stats(m)->walks / (double)tm_model_stats(m)->accesses;
	{
		double mb = median(tb, reps), mm = median(tm, reps);

		printf("%-28s %-11s %10.2f M op/s %10.1f M op/s %8.2fx %8.1f ns ", sc->name,
		       cfg->name, (double)n / mm * 1e-6, (double)n / mb * 1e-6, mm / mb,
		       mm / (double)n * 1e9);
		/* An INVLPG stream's walks are its warm-up's. */
		if (sc->op == OP_INVLPG)
			printf("%9s\n", "-");
		else
			printf("%8.1f%%\n", 100 * walks);
	}
	tm_model_free(m);
	synth_stream_free(&s);
	synth_layout_free(&l);
	return 0;
}

/* Load CPU model @name into @cfg; 0 or 2 (after a message). */
static int load_config(const char *name, struct tm_config *cfg)
{
	char why[512], *path = tm_config_find(name);
	int rc = 0;

	tm_config_defaults(cfg);
	if (!path || tm_config_load(cfg, path, why, sizeof(why))) {
		fprintf(stderr, "tm_bench: --config %s: %s\n", name, path ? why : "not found");
		rc = 2;
	}
	free(path);
	return rc;
}

int main(int argc, char **argv)
{
	const struct scenario scs[] = {
		/* 32 pages fit the 64-entry L1 DTLB: every access after the warm-up hits. */
		{ "hit (random, 32 pages)", SP_RANDOM, 32, 100000000, NULL, NULL, OP_ACCESS },
		{ "hit (sequential, 32 pages)", SP_SEQUENTIAL, 32, 100000000, NULL, NULL, OP_ACCESS },
		/* 1M pages (4 GiB): nearly every access misses the STLB and walks. */
		{ "walk (random, 1M pages)", SP_RANDOM, 1000000, 2000000, NULL, NULL, OP_ACCESS },
		{ "walk 2D (random, 1M, ept4)", SP_RANDOM, 1000000, 500000, "ept4", NULL, OP_ACCESS },
		/* INVLPG of random pages of a 1M-page footprint whose walks filled
		 * the TLBs: the per-INVLPG cost, to compare with a walk's. */
		{ "invlpg (random, 1M pages)", SP_RANDOM, 1000000, 500000, NULL, NULL, OP_INVLPG },
		/* The other shipped models: zen2's fully associative 64-entry
		 * L1 DTLB (all sizes in one array, AMD PWC, NPT), skylake-sp. */
		{ "hit (random, 32 pages)", SP_RANDOM, 32, 100000000, NULL, "zen2", OP_ACCESS },
		{ "hit (sequential, 32 pages)", SP_SEQUENTIAL, 32, 100000000, NULL, "zen2", OP_ACCESS },
		{ "walk (random, 1M pages)", SP_RANDOM, 1000000, 2000000, NULL, "zen2", OP_ACCESS },
		{ "walk 2D (random, 1M, npt4)", SP_RANDOM, 1000000, 500000, "npt4", "zen2", OP_ACCESS },
		{ "hit (random, 32 pages)", SP_RANDOM, 32, 100000000, NULL, "skylake-sp", OP_ACCESS },
		{ "walk (random, 1M pages)", SP_RANDOM, 1000000, 2000000, NULL, "skylake-sp", OP_ACCESS },
		{ "walk 2D (random, 1M, ept4)", SP_RANDOM, 1000000, 500000, "ept4", "skylake-sp",
		  OP_ACCESS },
	};
	const char *cfg_name = TM_CONFIG_DEFAULT, *only = NULL;
	unsigned reps = 5;
	double scale = 1.0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
			reps = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc)
			scale = strtod(argv[++i], NULL);
		else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			cfg_name = argv[++i];
		else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
			only = argv[++i];
		else {
			fprintf(stderr, "usage: tm_bench [--reps N] [--scale F] [--config NAME] "
				"[--only SUBSTRING]\n");
			return 2;
		}
	}
	if (reps < 1 || reps > 64 || !(scale > 0 && scale <= 100)) {
		fprintf(stderr, "tm_bench: --reps 1..64, --scale in (0, 100]\n");
		return 2;
	}
	printf("tm_bench: %u reps, medians; bare loop = the same stream without the model\n",
	       reps);
	printf("%-28s %-11s %17s %17s %9s %11s %9s\n", "stream", "config", "model",
	       "bare loop", "ratio", "model/op", "walks");
	for (unsigned i = 0; i < sizeof(scs) / sizeof(scs[0]); i++) {
		const char *name = scs[i].config ? scs[i].config : cfg_name;
		struct tm_config cfg;
		char label[64];

		snprintf(label, sizeof(label), "%s %s", scs[i].name, name);
		if (only && !strstr(label, only))
			continue;
		if (load_config(name, &cfg) || run(&scs[i], &cfg, reps, scale))
			return 2;
	}
	return 0;
}

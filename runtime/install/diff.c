/* The unified line diff of diff.h: a longest common subsequence over lines, then hunks. */
#include "diff.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/cleanup.h"
#include "../../lib/err.h"

#define CONTEXT 3
/* Cells of the LCS table (4 bytes each): daemon.json files are far smaller than this. */
#define MAX_CELLS (4u << 20)

struct line {
	const char *p;
	size_t len;	/* without the newline */
	bool nl;	/* ends with a newline (only the last line may not) */
};

struct lines {
	struct line *v;
	size_t n;
};

/* One step of the edit script: ' ' keeps old line a (= new line b), '-' drops a, '+' adds b. */
struct op {
	char kind;
	size_t a, b;
};

static int split(const char *text, struct lines *out, struct err **err)
{
	size_t cap = 16;

	out->n = 0;
	out->v = malloc(cap * sizeof(*out->v));
	if (!out->v)
		return err_errno(err, "diff");
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (out->n == cap) {
			struct line *v = realloc(out->v, 2 * cap * sizeof(*v));

			if (!v)
				return err_errno(err, "diff");
			out->v = v;
			cap *= 2;
		}
		out->v[out->n++] = (struct line){ p, len, nl != NULL };
		p += len + (nl != NULL);
	}
	return 0;
}

static bool same(const struct line *x, const struct line *y)
{
	return x->len == y->len && x->nl == y->nl && !memcmp(x->p, y->p, x->len);
}

/*
 * The edit script between o[lo..ho) and n[ln..hn), whose first and last lines differ: from the
 * LCS table when it fits in MAX_CELLS, else every old line removed and every new one added.
 */
static int middle(const struct lines *o, const struct lines *n, size_t lo, size_t ho, size_t ln,
		  size_t hn, struct op *ops, size_t *k, struct err **err)
{
	size_t rows = ho - lo, cols = hn - ln, i = 0, j = 0;
	_cleanup_free_ uint32_t *t = NULL;

	if (rows && cols && (rows + 1) <= MAX_CELLS / (cols + 1)) {
		t = calloc((rows + 1) * (cols + 1), sizeof(*t));
		if (!t)
			return err_errno(err, "diff");
	}
#define T(r, c) t[(r) * (cols + 1) + (c)]
	/* T(r, c): the LCS length of the old lines from r and the new lines from c on. */
	for (size_t r = rows; t && r-- > 0;)
		for (size_t c = cols; c-- > 0;)
			T(r, c) = same(&o->v[lo + r], &n->v[ln + c]) ? T(r + 1, c + 1) + 1 :
				  T(r + 1, c) > T(r, c + 1) ? T(r + 1, c) : T(r, c + 1);
	while (t && i < rows && j < cols) {
		if (same(&o->v[lo + i], &n->v[ln + j])) {
			ops[(*k)++] = (struct op){ ' ', lo + i++, ln + j++ };
		} else if (T(i + 1, j) >= T(i, j + 1)) {
			ops[(*k)++] = (struct op){ '-', lo + i++, ln + j };
		} else {
			ops[(*k)++] = (struct op){ '+', lo + i, ln + j++ };
		}
	}
#undef T
	for (; i < rows; i++)
		ops[(*k)++] = (struct op){ '-', lo + i, ln + j };
	for (; j < cols; j++)
		ops[(*k)++] = (struct op){ '+', lo + i, ln + j };
	return 0;
}

static void put_line(FILE *f, char kind, const struct line *l)
{
	fprintf(f, "%c%.*s\n", kind, (int)l->len, l->p);
	if (!l->nl)
		fputs("\\ No newline at end of file\n", f);
}

/* A hunk's range: a length-0 side starts at the line before it, as diff -u writes it. */
static void put_range(FILE *f, char sign, size_t start, size_t len)
{
	fprintf(f, "%c%zu", sign, len ? start + 1 : start);
	if (len != 1)
		fprintf(f, ",%zu", len);
}

/* Prints ops[from..to) as one hunk. */
static void put_hunk(FILE *f, const struct lines *o, const struct lines *n, const struct op *ops,
		     size_t from, size_t to)
{
	size_t ol = 0, nl = 0;

	for (size_t x = from; x < to; x++) {
		ol += ops[x].kind != '+';
		nl += ops[x].kind != '-';
	}
	fputs("@@ ", f);
	put_range(f, '-', ops[from].a, ol);
	fputc(' ', f);
	put_range(f, '+', ops[from].b, nl);
	fputs(" @@\n", f);
	for (size_t x = from; x < to; x++)
		put_line(f, ops[x].kind, ops[x].kind == '+' ? &n->v[ops[x].b] : &o->v[ops[x].a]);
}

/* Groups the changes of ops[0..k) with CONTEXT kept lines around each into hunks. */
static void put_hunks(FILE *f, const struct lines *o, const struct lines *n, const struct op *ops,
		      size_t k)
{
	size_t x = 0;

	while (x < k) {
		size_t first, end, last;

		while (x < k && ops[x].kind == ' ')
			x++;
		if (x == k)
			return;
		first = x;
		/* Extend over changes closer than two contexts apart. */
		for (last = x;; ) {
			size_t y = last + 1, gap = 0;

			while (y < k && ops[y].kind == ' ' && gap <= 2 * CONTEXT)
				y++, gap++;
			if (y == k || gap > 2 * CONTEXT)
				break;
			last = y;
		}
		first = first > CONTEXT ? first - CONTEXT : 0;
		end = last + 1 + CONTEXT < k ? last + 1 + CONTEXT : k;
		put_hunk(f, o, n, ops, first, end);
		x = end;
	}
}

int diff__unified(const char *old, const char *new, const char *old_label,
		  const char *new_label, char **out, struct err **err)
{
	struct lines o = { 0 }, n = { 0 };
	_cleanup_free_ struct op *ops = NULL;
	size_t lo = 0, ho, ln = 0, hn, k = 0, outlen;
	FILE *f = NULL;
	int ret = -1;

	*out = NULL;
	if (split(old, &o, err) < 0 || split(new, &n, err) < 0)
		goto done;
	ops = malloc((o.n + n.n + 1) * sizeof(*ops));
	f = open_memstream(out, &outlen);
	if (!ops || !f) {
		err_errno(err, "diff");
		goto done;
	}
	/* The common head and tail need no table. */
	ho = o.n;
	hn = n.n;
	while (lo < ho && ln < hn && same(&o.v[lo], &n.v[ln]))
		ops[k++] = (struct op){ ' ', lo++, ln++ };
	while (ho > lo && hn > ln && same(&o.v[ho - 1], &n.v[hn - 1]))
		ho--, hn--;
	if (middle(&o, &n, lo, ho, ln, hn, ops, &k, err) < 0)
		goto done;
	for (; ho < o.n; ho++, hn++)
		ops[k++] = (struct op){ ' ', ho, hn };
	if (lo != ho || ln != hn) {
		fprintf(f, "--- %s\n+++ %s\n", old_label, new_label);
		put_hunks(f, &o, &n, ops, k);
	}
	ret = 0;
done:
	if (f && fclose(f) != 0 && ret == 0)
		ret = err_errno(err, "diff");
	if (ret < 0) {
		free(*out);
		*out = NULL;
	}
	free(o.v);
	free(n.v);
	return ret;
}

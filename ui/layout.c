/* layout.c: column widths, cells and sparklines for the dashboard */
#include "ui/layout.h"

#include <string.h>

static const struct {
	const char *name;
	int width;		/* 0: takes the rest */
	int drop_order;		/* higher is dropped first */
} cols[COL_COUNT] = {
	[COL_APP] = { "app", 0, 0 },
	[COL_ID] = { "id", 3, 4 },
	[COL_PID] = { "pid", 8, 5 },
	[COL_STATUS] = { "status", 10, 1 },
	[COL_CPU] = { "cpu", 6, 2 },
	[COL_MEM] = { "mem", 8, 3 },
	[COL_RESTARTS] = { "↺", 4, 6 },
	[COL_UPTIME] = { "uptime", 7, 7 },
};

#define APP_MIN 6

/* The header text of a column. */
const char *
layout_col_name(enum ui_col c)
{
	return cols[c].name;
}

/* The width of the visible fixed columns plus their separators. */
static int
fixed_width(const bool *shown)
{
	int w = 0;

	for (int c = 0; c < COL_COUNT; c++)
		if (shown[c] && cols[c].width > 0)
			w += cols[c].width + 1;
	return w;
}

/* Fit the columns into width cells. */
int
layout_columns(int width, struct ui_layout *out)
{
	bool shown[COL_COUNT];
	int x = 0, n = 0;

	for (int c = 0; c < COL_COUNT; c++)
		shown[c] = true;
	/* Drop the least useful columns until the app name fits. */
	for (int order = 7; order >= 1; order--) {
		if (fixed_width(shown) + APP_MIN <= width)
			break;
		for (int c = 0; c < COL_COUNT; c++)
			if (cols[c].drop_order == order)
				shown[c] = false;
	}
	for (int c = 0; c < COL_COUNT; c++) {
		int w = cols[c].width;

		if (c == COL_APP) {
			w = width - fixed_width(shown);
			w = w < APP_MIN ? (width < APP_MIN ? width : APP_MIN) :
				w > 24 ? 24 : w;
		}
		if (!shown[c] || w <= 0) {
			out->x[c] = x;
			out->width[c] = 0;
			continue;
		}
		out->x[c] = x;
		out->width[c] = w;
		x += w + 1;
		n++;
	}
	return n;
}

/* The length of the UTF-8 sequence that starts with byte b. */
static size_t
utf8_len(unsigned char b)
{
	return b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2
		: 1;
}

/* Cut s to cells display cells (one per character). */
char *
layout_cut(const char *s, int cells, char *buf, size_t size)
{
	size_t i = 0, o = 0, chars = 0, total = 0;

	if (size == 0)
		return buf;
	for (const char *p = s; *p; p += utf8_len((unsigned char)*p))
		total++;
	while (s[i] != '\0' && (int)chars < cells) {
		size_t len = utf8_len((unsigned char)s[i]);

		if ((size_t)cells < total && (int)chars == cells - 1) {
			if (o + 1 < size)
				buf[o++] = '~';
			break;
		}
		if (o + len >= size)
			break;
		memcpy(buf + o, s + i, len);
		o += len;
		i += len;
		chars++;
	}
	buf[o] = '\0';
	return buf;
}

/* Block characters from empty to full. */
static const char *const blocks[] = {
	" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█",
};

/* A sparkline of the last `cells` values. */
char *
layout_sparkline(const double *values, size_t n, double max, int cells,
		 char *buf, size_t size)
{
	size_t o = 0;

	if (max <= 0)
		for (size_t i = 0; i < n; i++)
			if (values[i] > max)
				max = values[i];
	for (int c = 0; c < cells; c++) {
		long idx = (long)n - cells + c;
		int level = 0;
		const char *b;

		if (idx >= 0 && max > 0) {
			double v = values[idx] < 0 ? 0 : values[idx];
			level = (int)(v / max * 8 + 0.5);
			level = level > 8 ? 8 : level;
			if (level == 0 && v > 0)
				level = 1;
		}
		b = blocks[level];
		if (o + strlen(b) >= size)
			break;
		memcpy(buf + o, b, strlen(b));
		o += strlen(b);
	}
	if (size > 0)
		buf[o < size ? o : size - 1] = '\0';
	return buf;
}

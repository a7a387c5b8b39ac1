/* layout.c: column widths, cells and sparklines for the dashboard */
#include "ui/layout.h"

#include <string.h>

static const struct {
	const char *name, *ascii;
	int width;		/* 0: takes the rest */
	int drop_order;		/* higher is dropped first, 0: never */
} cols[COL_COUNT] = {
	[COL_APP] = { "app", "app", 0, 0 },
	[COL_ID] = { "id", "id", 0, 0 },
	[COL_PID] = { "pid", "pid", 7, 4 },
	[COL_STATUS] = { "status", "status", 12, 0 },
	[COL_CPU] = { "cpu", "cpu", 6, 1 },
	[COL_MEM] = { "mem", "mem", 7, 3 },
	[COL_RESTARTS] = { "↺", "rst", 4, 2 },
	[COL_UPTIME] = { "uptime", "uptime", 6, 5 },
};

#define APP_MIN 8
#define APP_ROOMY 20		/* past this the status column grows */
#define STATUS_MAX 24

static bool ascii_mode;

/* Switch the ASCII fallbacks on or off. */
void
layout_set_ascii(bool on)
{
	ascii_mode = on;
}

/* Whether the ASCII fallbacks are on. */
bool
layout_ascii(void)
{
	return ascii_mode;
}

/* A glyph, or its ASCII stand-in. */
const char *
layout_glyph(enum ui_glyph g)
{
	static const char *const glyphs[G_COUNT][2] = {
		[G_SORT_UP] = { "▲", "^" },
		[G_SORT_DOWN] = { "▼", "v" },
		[G_RESTART] = { "↺", "rst" },
		[G_TREE_MID] = { "├─", "|-" },
		[G_TREE_LAST] = { "└─", "`-" },
		[G_HLINE] = { "─", "-" }, [G_VLINE] = { "│", "|" },
		[G_TOP_LEFT] = { "┌", "+" }, [G_TOP_RIGHT] = { "┐", "+" },
		[G_BOTTOM_LEFT] = { "└", "+" },
		[G_BOTTOM_RIGHT] = { "┘", "+" },
	};

	return glyphs[g][ascii_mode];
}

/* The header text of a column. */
const char *
layout_col_name(enum ui_col c)
{
	return ascii_mode ? cols[c].ascii : cols[c].name;
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
	int x = 0, n = 0, app, status = cols[COL_STATUS].width;

	for (int c = 0; c < COL_COUNT; c++)
		shown[c] = c != COL_ID;
	/* Drop the least useful columns until the app name fits. */
	for (int order = 5; order >= 1; order--) {
		if (fixed_width(shown) + APP_MIN <= width)
			break;
		for (int c = 0; c < COL_COUNT; c++)
			if (cols[c].drop_order == order)
				shown[c] = false;
	}
	app = width - fixed_width(shown);
	if (app > APP_ROOMY) {
		int more = app - APP_ROOMY;

		more = more > STATUS_MAX - status ? STATUS_MAX - status : more;
		status += more;
		app -= more;
	}
	if (app < APP_MIN) {
		/* Too narrow for both: status first, the app what is left. */
		status = width - APP_MIN - 1;
		status = status < 6 ? (width > 12 ? 6 : 0) : status > 12 ? 12
			: status;
		app = width - (status ? status + 1 : 0);
	}
	for (int c = 0; c < COL_COUNT; c++) {
		int w = c == COL_APP ? app : c == COL_STATUS ? status :
			cols[c].width;

		out->x[c] = x;
		out->width[c] = shown[c] && w > 0 ? w : 0;
		if (out->width[c] == 0)
			continue;
		x += w + 1;
		n++;
	}
	return n;
}

/* Decode one UTF-8 character at s: its code point and length. */
static size_t
utf8_decode(const unsigned char *s, unsigned *cp)
{
	size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 :
		s[0] >= 0xc0 ? 2 : 1;

	*cp = len == 1 ? s[0] : s[0] & (0x3f >> (len - 1));
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {	/* broken: one byte */
			*cp = 0xfffd;
			return 1;
		}
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	return len;
}

/* The display width of a code point: East Asian wide is 2, marks 0. */
int
layout_cp_width(unsigned cp)
{
	static const unsigned wide[][2] = {
		{ 0x1100, 0x115f }, { 0x2e80, 0x303e }, { 0x3041, 0x33ff },
		{ 0x3400, 0x4dbf }, { 0x4e00, 0x9fff }, { 0xa000, 0xa4cf },
		{ 0xac00, 0xd7a3 }, { 0xf900, 0xfaff }, { 0xfe30, 0xfe4f },
		{ 0xff00, 0xff60 }, { 0xffe0, 0xffe6 }, { 0x1f300, 0x1f64f },
		{ 0x1f900, 0x1f9ff }, { 0x20000, 0x3fffd },
	};

	if (cp == 0 || (cp >= 0x300 && cp <= 0x36f) || cp == 0x200b)
		return 0;
	for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
		if (cp >= wide[i][0] && cp <= wide[i][1])
			return 2;
	return 1;
}

/* The cells s takes on screen (ASCII mode: one per character). */
int
layout_width(const char *s)
{
	int w = 0;
	unsigned cp;

	while (*s != '\0') {
		s += utf8_decode((const unsigned char *)s, &cp);
		w += ascii_mode ? 1 : layout_cp_width(cp);
	}
	return w;
}

/* Cut s to cells display cells. */
char *
layout_cut(const char *s, int cells, char *buf, size_t size)
{
	bool cut = layout_width(s) > cells;
	int used = 0;
	size_t o = 0;
	unsigned cp;

	if (size == 0)
		return buf;
	while (*s != '\0') {
		size_t len = utf8_decode((const unsigned char *)s, &cp);
		int w = ascii_mode ? 1 : layout_cp_width(cp);
		bool other = ascii_mode && cp >= 0x80;

		if (used + w > cells - (cut ? 1 : 0))
			break;
		if (o + (other ? 1 : len) >= size)
			break;
		if (other)
			buf[o++] = '?';
		else
			memcpy(buf + o, s, len), o += len;
		s += len;
		used += w;
	}
	if (cut && cells > 0 && o + 1 < size)
		buf[o++] = '~';
	buf[o] = '\0';
	return buf;
}

/* Block characters from empty to full, and their ASCII stand-ins. */
static const char *const blocks[] = {
	" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█",
};
static const char ascii_blocks[] = " .:-=+*#%";

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
		char one[2] = { 0, 0 };
		const char *b;

		if (idx >= 0 && max > 0) {
			double v = values[idx] < 0 ? 0 : values[idx];
			level = (int)(v / max * 8 + 0.5);
			level = level > 8 ? 8 : level;
			if (level == 0 && v > 0)
				level = 1;
		}
		one[0] = ascii_blocks[level];
		b = ascii_mode ? one : blocks[level];
		if (o + strlen(b) >= size)
			break;
		memcpy(buf + o, b, strlen(b));
		o += strlen(b);
	}
	if (size > 0)
		buf[o < size ? o : size - 1] = '\0';
	return buf;
}

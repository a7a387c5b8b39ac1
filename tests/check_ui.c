/* check_ui.c: the dashboard's pure parts: layout, cells, sparklines,
 * byte and duration formatting, the model's sorting and folding */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/lib/format.h"
#include "ui/layout.h"
#include "ui/model.h"

static const struct {
	long long bytes;
	const char *want;
} bytes_rows[] = {
	{ 0, "0b" }, { 512, "512b" }, { 1023, "1023b" }, { 1024, "1.0kb" },
	{ 1536, "1.5kb" }, { 10 * 1024 * 1024, "10.0mb" },
	{ 300LL * 1024 * 1024, "300mb" }, { 5LL << 30, "5.0gb" },
	{ -5, "0b" },
};

START_TEST(test_bytes)
{
	char buf[32];

	ck_assert_str_eq(fmt_bytes(bytes_rows[_i].bytes, buf, sizeof buf),
			 bytes_rows[_i].want);
}
END_TEST

static const struct {
	long long ms;
	const char *want;
} dur_rows[] = {
	{ 0, "0s" }, { 999, "0s" }, { 45000, "45s" }, { 60000, "1m" },
	{ 3599000, "59m" }, { 3600000, "1h" }, { 86399000, "23h" },
	{ 86400000LL * 3, "3D" }, { -1, "0s" },
};

START_TEST(test_duration)
{
	char buf[32];

	ck_assert_str_eq(fmt_duration(dur_rows[_i].ms, buf, sizeof buf),
			 dur_rows[_i].want);
}
END_TEST

static const struct {
	const char *in;
	int cells;
	const char *want;
} cut_rows[] = {
	{ "web", 10, "web" }, { "web", 3, "web" }, { "webapp", 4, "web~" },
	{ "api-server-long", 6, "api-s~" }, { "", 5, "" }, { "abc", 0, "" },
	{ "héllo", 3, "hé~" }, { "日本語アプリ", 4, "日~" },
	{ "日本語", 6, "日本語" }, { "x", 1, "x" }, { "ab日", 3, "ab~" },
};

START_TEST(test_cut)
{
	char buf[64];

	ck_assert_str_eq(layout_cut(cut_rows[_i].in, cut_rows[_i].cells, buf,
				    sizeof buf), cut_rows[_i].want);
}
END_TEST

START_TEST(test_cut_small_buffer)
{
	char buf[4];

	/* Never overflows, never splits a character. */
	ck_assert_str_eq(layout_cut("日本", 5, buf, sizeof buf), "日");
}
END_TEST

static const struct {
	int width;
	int visible;		/* columns shown */
	int app_width;
	bool pid_shown;
} width_rows[] = {
	{ 200, COL_COUNT - 1, 140, true },	/* id is in the app column */
	{ 100, COL_COUNT - 1, 40, true },
	{ 80, COL_COUNT - 1, 20, true },
	{ 60, COL_COUNT - 1, 12, true },
	{ 40, 4, 15, false },	/* uptime, pid, memory dropped */
	{ 20, 2, 8, false },	/* only app and status */
	{ 6, 1, 6, false },
};

START_TEST(test_columns)
{
	struct ui_layout lay;
	int n = layout_columns(width_rows[_i].width, &lay);
	int right = 0;

	ck_assert_int_eq(n, width_rows[_i].visible);
	ck_assert_int_eq(lay.width[COL_APP], width_rows[_i].app_width);
	ck_assert_int_eq(lay.width[COL_PID] > 0, width_rows[_i].pid_shown);
	for (int c = 0; c < COL_COUNT; c++) {
		if (lay.width[c] == 0)
			continue;
		/* Columns do not overlap and fit the width. */
		ck_assert_int_ge(lay.x[c], right);
		right = lay.x[c] + lay.width[c];
	}
	ck_assert_int_le(right, width_rows[_i].width);
}
END_TEST

START_TEST(test_columns_grow)
{
	struct ui_layout a, b;

	/* Wider terminals widen the name and status, up to a point. */
	layout_columns(60, &a);
	layout_columns(100, &b);
	ck_assert_int_gt(b.width[COL_STATUS], a.width[COL_STATUS]);
	ck_assert_int_gt(b.width[COL_APP], a.width[COL_APP]);
	ck_assert_int_ge(b.width[COL_STATUS], (int)strlen("60/60 online 2 "
							  "waiting"));
	ck_assert_int_eq(b.width[COL_ID], 0);
}
END_TEST

START_TEST(test_ascii)
{
	char buf[64];

	layout_set_ascii(true);
	ck_assert_str_eq(layout_cut("héllo", 10, buf, sizeof buf), "h?llo");
	ck_assert_str_eq(layout_cut("日本語", 2, buf, sizeof buf), "?~");
	ck_assert_str_eq(layout_glyph(G_SORT_UP), "^");
	ck_assert_str_eq(layout_col_name(COL_RESTARTS), "rst");
	ck_assert_str_eq(layout_sparkline((double[]){ 0, 50, 100 }, 3, 100,
					  3, buf, sizeof buf), " =%");
	layout_set_ascii(false);
	ck_assert_str_eq(layout_glyph(G_SORT_UP), "▲");
}
END_TEST

START_TEST(test_status_always_shown)
{
	struct ui_layout lay;

	for (int w = 20; w <= 200; w++) {
		layout_columns(w, &lay);
		ck_assert_int_gt(lay.width[COL_STATUS], 0);
	}
}
END_TEST

START_TEST(test_sparkline)
{
	const double v[] = { 0, 25, 50, 75, 100 };
	char buf[128];

	ck_assert_str_eq(layout_sparkline(v, 5, 100, 5, buf, sizeof buf),
			 " ▂▄▆█");
	/* Fewer values than cells: blank on the left. */
	ck_assert_str_eq(layout_sparkline(v + 3, 2, 100, 4, buf, sizeof buf),
			 "  ▆█");
	/* More values than cells: the newest on the right. */
	ck_assert_str_eq(layout_sparkline(v, 5, 100, 2, buf, sizeof buf),
			 "▆█");
	/* max 0: scaled to the largest value. */
	ck_assert_str_eq(layout_sparkline(v, 5, 0, 5, buf, sizeof buf),
			 " ▂▄▆█");
	/* A small non-zero value still shows. */
	const double tiny[] = { 0.1 };
	ck_assert_str_eq(layout_sparkline(tiny, 1, 100, 1, buf, sizeof buf),
			 "▁");
	/* All zero: blank. */
	const double zero[] = { 0, 0 };
	ck_assert_str_eq(layout_sparkline(zero, 2, 0, 2, buf, sizeof buf),
			 "  ");
}
END_TEST

START_TEST(test_sparkline_small_buffer)
{
	const double v[] = { 100, 100, 100 };
	char buf[7];

	/* Each block is 3 bytes: 2 fit with the NUL. */
	ck_assert_str_eq(layout_sparkline(v, 3, 100, 3, buf, sizeof buf),
			 "██");
}
END_TEST

/* A "ls" reply with the given rows. */
static json_t *
reply(const char *rows)
{
	char *text;
	json_t *r;

	if (asprintf(&text, "{\"ok\":true,\"daemon\":{\"pid\":1,\"started\":0},"
		     "\"instances\":[%s]}", rows) < 0)
		return NULL;
	r = json_loads(text, 0, NULL);
	free(text);
	return r;
}

#define ROW(app, i, pid, st, cpu) \
	"{\"app\":\"" app "\",\"instance\":" #i ",\"pid\":" #pid \
	",\"status\":\"" st "\",\"cpu\":" #cpu ",\"memory\":1000," \
	"\"restarts\":0,\"uptime_ms\":5}"

START_TEST(test_model_lines_and_sort)
{
	struct ui_model m;
	json_t *r = reply(ROW("web", 0, 10, "online", 1.0) ","
			  ROW("web", 1, 11, "online", 9.0) ","
			  ROW("api", 0, 20, "errored", 0));

	model_init(&m);
	model_update(&m, r, 1000);
	/* api, api:0, web, web:0, web:1 */
	ck_assert_int_eq(m.n_lines, 5);
	ck_assert_str_eq(m.lines[0].app, "api");
	ck_assert_ptr_null(m.lines[0].inst);
	ck_assert_int_eq(m.lines[4].inst->index, 1);
	ck_assert_int_eq(m.n_state[ST_ONLINE], 2);
	ck_assert_int_eq(m.n_state[ST_ERRORED], 1);
	ck_assert_int_eq(model_app_worst(model_app(&m, "api"), 1000),
			 ST_ERRORED);
	ck_assert(m.lines[4].last && !m.lines[3].last);
	model_sort(&m, COL_CPU);	/* busiest first */
	ck_assert_str_eq(m.lines[0].app, "web");
	ck_assert_int_eq(m.lines[1].inst->index, 1);
	model_sort(&m, COL_CPU);	/* reversed */
	ck_assert_str_eq(m.lines[0].app, "api");
	model_free(&m);
	json_decref(r);
}
END_TEST

START_TEST(test_model_select_fold_history)
{
	struct ui_model m;
	json_t *r = reply(ROW("web", 0, 10, "online", 1.0) ","
			  ROW("web", 1, 11, "online", 2.0));

	model_init(&m);
	model_update(&m, r, 1000);
	model_move(&m, 2);
	ck_assert_int_eq(model_selected_inst(&m)->index, 1);
	model_move(&m, 100);		/* clamped */
	ck_assert_int_eq(model_selected(&m), 2);
	model_update(&m, r, 1000);		/* the selection survives */
	ck_assert_int_eq(model_selected_inst(&m)->index, 1);
	ck_assert_int_eq(model_selected_inst(&m)->n_hist, 2);
	model_toggle_fold(&m);
	ck_assert_int_eq(m.n_lines, 1);
	ck_assert_ptr_null(model_selected_inst(&m));
	ck_assert_str_eq(model_selected_app(&m), "web");
	model_toggle_fold(&m);
	ck_assert_int_eq(m.n_lines, 3);
	for (int k = 0; k < HISTORY_LEN + 10; k++)
		model_update(&m, r, 1000);
	ck_assert_int_eq(m.inst[0]->n_hist, HISTORY_LEN);
	model_free(&m);
	json_decref(r);
}
END_TEST

START_TEST(test_model_drops_gone)
{
	struct ui_model m;
	json_t *two = reply(ROW("web", 0, 10, "online", 1.0) ","
			    ROW("api", 0, 11, "online", 2.0));
	json_t *one = reply(ROW("web", 0, 10, "online", 1.0));

	model_init(&m);
	model_update(&m, two, 1000);
	model_update(&m, one, 2000);
	ck_assert_int_eq(m.n_inst, 1);
	ck_assert_int_eq(m.n_apps, 1);
	ck_assert_int_eq(m.n_lines, 2);
	model_disconnected(&m, "the daemon is not running");
	ck_assert(!m.connected);
	ck_assert_int_eq(m.n_lines, 2);	/* old rows kept */
	model_free(&m);
	json_decref(two);
	json_decref(one);
}
END_TEST

#define ROW_R(pid, st, restarts, extra) \
	"{\"app\":\"web\",\"instance\":0,\"pid\":" #pid \
	",\"status\":\"" st "\",\"cpu\":5,\"memory\":1000," \
	"\"restarts\":" #restarts extra "}"

START_TEST(test_model_restarts_and_states)
{
	struct ui_model m;
	json_t *a = reply(ROW_R(10, "online", 2, ""));
	json_t *b = reply(ROW_R(11, "online", 5, ""));
	json_t *c = reply(ROW_R(0, "waiting restart", 6,
				",\"restart_in_ms\":3000"));
	json_t *d = reply(ROW_R(0, "stopped", 6, ""));

	model_init(&m);
	model_update(&m, a, 1000);	/* the first count is no growth */
	ck_assert_int_eq(model_recent_restarts(&m, NULL, 1000), 0);
	ck_assert_int_eq(model_app_worst(model_app(&m, "web"), 1000),
			 ST_ONLINE);
	model_update(&m, b, 2000);
	ck_assert_int_eq(model_recent_restarts(&m, NULL, 2000), 3);
	ck_assert_int_eq(model_recent_restarts(&m, "web", 2000), 3);
	ck_assert_int_eq(model_recent_restarts(&m, "api", 2000), 0);
	ck_assert_int_eq(m.inst[0]->grew_at, 2000);
	/* Online, but it just restarted: the app row is not "well". */
	ck_assert_int_eq(model_app_worst(model_app(&m, "web"), 3000),
			 ST_WAITING);
	ck_assert_int_eq(model_app_worst(model_app(&m, "web"),
					 2000 + RESTART_HOT_MS), ST_ONLINE);
	model_update(&m, c, 4000);
	ck_assert_int_eq(m.n_state[ST_WAITING], 1);
	ck_assert_int_eq(m.inst[0]->restart_at, 7000);
	ck_assert_int_eq(model_recent_restarts(&m, NULL, 4000), 4);
	ck_assert_int_eq(model_recent_restarts(&m, NULL, 62001), 1);
	ck_assert_int_eq(model_recent_restarts(&m, NULL, 64001), 0);
	/* Without a process: no cpu or memory in the app's totals. */
	model_update(&m, d, 5000);
	ck_assert_int_eq(m.n_state[ST_STOPPED], 1);
	ck_assert(model_app(&m, "web")->cpu == 0);
	ck_assert_int_eq(model_app(&m, "web")->mem, 0);
	model_free(&m);
	json_decref(a);
	json_decref(b);
	json_decref(c);
	json_decref(d);
}
END_TEST

START_TEST(test_model_filter_search_tree)
{
	struct ui_model m;
	json_t *r = reply(ROW("web", 0, 10, "online", 1.0) ","
			  ROW("web", 1, 11, "online", 9.0) ","
			  ROW("api", 0, 20, "online", 0) ","
			  ROW("worker", 0, 30, "online", 0));

	model_init(&m);
	model_update(&m, r, 1000);
	ck_assert_int_eq(m.n_lines, 7);
	model_set_filter(&m, "W");	/* case-insensitive */
	ck_assert_int_eq(m.n_lines, 5);	/* web, 2, worker, 1 */
	ck_assert_str_eq(m.lines[0].app, "web");
	model_set_filter(&m, "nothing");
	ck_assert_int_eq(m.n_lines, 0);
	model_set_filter(&m, "");
	ck_assert_int_eq(m.n_lines, 7);
	ck_assert(model_search(&m, "ork", true));
	ck_assert_str_eq(model_selected_app(&m), "worker");
	ck_assert(model_search(&m, "a", false));	/* wraps to api */
	ck_assert_str_eq(model_selected_app(&m), "api");
	ck_assert(!model_search(&m, "zzz", true));
	model_fold_all(&m, true);
	ck_assert_int_eq(m.n_lines, 3);
	model_fold_all(&m, false);
	model_select(&m, (size_t)-1);	/* End */
	ck_assert_int_eq(model_selected(&m), 6);
	model_free(&m);
	json_decref(r);
}
END_TEST

static Suite *
ui_suite(void)
{
	Suite *s = suite_create("ui");
	TCase *tc = tcase_create("ui");

	tcase_add_loop_test(tc, test_bytes, 0,
			    sizeof bytes_rows / sizeof bytes_rows[0]);
	tcase_add_loop_test(tc, test_duration, 0,
			    sizeof dur_rows / sizeof dur_rows[0]);
	tcase_add_loop_test(tc, test_cut, 0,
			    sizeof cut_rows / sizeof cut_rows[0]);
	tcase_add_test(tc, test_cut_small_buffer);
	tcase_add_loop_test(tc, test_columns, 0,
			    sizeof width_rows / sizeof width_rows[0]);
	tcase_add_test(tc, test_status_always_shown);
	tcase_add_test(tc, test_columns_grow);
	tcase_add_test(tc, test_ascii);
	tcase_add_test(tc, test_model_restarts_and_states);
	tcase_add_test(tc, test_model_filter_search_tree);
	tcase_add_test(tc, test_sparkline);
	tcase_add_test(tc, test_sparkline_small_buffer);
	tcase_add_test(tc, test_model_lines_and_sort);
	tcase_add_test(tc, test_model_select_fold_history);
	tcase_add_test(tc, test_model_drops_gone);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ui_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

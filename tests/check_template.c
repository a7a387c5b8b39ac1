/* check_template.c: template syntax, values, sections, errors, speed */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/lib/template.h"

#define NAME	"t.tmpl"

/*
 * Contexts are written with ' for " to keep the rows readable; a value
 * that needs a real ' spells it \u0027.
 */
static json_t *
ctx_from(const char *text)
{
	json_error_t jerr;
	json_t *v;
	char *s;

	if (!text)
		return NULL;
	s = strdup(text);
	ck_assert_ptr_nonnull(s);
	for (char *c = s; *c; c++)
		if (*c == '\'')
			*c = '"';
	v = json_loads(s, 0, &jerr);
	ck_assert_msg(v != NULL, "bad test context %s: %s", s, jerr.text);
	free(s);
	return v;
}

/* Parse and render; return the output (caller frees) or NULL with e. */
static char *
render(const char *tmpl, const char *ctx_text, struct derr *e)
{
	struct template *t = template_parse(tmpl, NAME, e);
	struct strbuf out = STRBUF_INIT;
	json_t *ctx;
	int rc;

	ck_assert_msg(t != NULL, "parse failed: %s", e->msg);
	ctx = ctx_from(ctx_text);
	rc = template_render(t, ctx, &out, e);
	json_decref(ctx);
	template_free(t);
	if (rc < 0) {
		strbuf_release(&out);
		return NULL;
	}
	return strbuf_detach(&out);
}

/* A template, its context and the exact output. */
static const struct out_row {
	const char *tmpl, *ctx, *out;
} out_rows[] = {
	/* text, including nginx's own braces, passes through */
	{ "worker_processes auto;\nevents {\n}\n", NULL,
	  "worker_processes auto;\nevents {\n}\n" },
	{ "a}}b { c } {x}", NULL, "a}}b { c } {x}" },
	{ "", NULL, "" },
	/* values */
	{ "server_name {{host}};\n", "{'host':'example.com'}",
	  "server_name example.com;\n" },
	{ "[{{ host }}]", "{'host':'a.example'}", "[a.example]" },
	{ "listen {{port}};", "{'port':8080}", "listen 8080;" },
	{ "{{a}} {{b}}", "{'a':-5,'b':9007199254740993}",
	  "-5 9007199254740993" },
	{ "{{a}} {{b}} {{c}} {{d}}", "{'a':1.5,'b':0.1,'c':2.0,'d':1e-7}",
	  "1.5 0.1 2 1e-07" },
	{ "{{t}} {{f}}", "{'t':true,'f':false}", "true false" },
	{ "[{{s}}]", "{'s':''}", "[]" },
	{ "{{s}}", "{'s':'caf\xc3\xa9.example:80/x?y=1&z=$a #b'}",
	  "caf\xc3\xa9.example:80/x?y=1&z=$a #b" },
	/* dotted names; later parts look only inside the first */
	{ "{{app.name}}:{{app.env.port}}",
	  "{'app':{'name':'api','env':{'port':3000}}}", "api:3000" },
	{ "{{hosts.1}}", "{'hosts':['a','b']}", "b" },
	{ "{{#l}}{{cfg.port}}{{/l}}", "{'cfg':{'port':1},'l':[1,2]}",
	  "11" },
	/* raw values skip the safety check */
	{ "{{&v}}", "{'v':'a; b {c} \\\\ \\u0027'}", "a; b {c} \\ '" },
	{ "{{& v }}|{{&n}}", "{'v':'x;','n':3}", "x;|3" },
	/* loops */
	{ "{{#s}}server {{h}}:{{p}};\n{{/s}}",
	  "{'s':[{'h':'192.0.2.1','p':3000},{'h':'192.0.2.2','p':3001}]}",
	  "server 192.0.2.1:3000;\nserver 192.0.2.2:3001;\n" },
	{ "{{#l}}<{{.}}>{{/l}}", "{'l':['a','b','c']}", "<a><b><c>" },
	{ "{{#apps}}{{name}}.{{domain}} {{/apps}}",
	  "{'domain':'ex.org','apps':[{'name':'a'},{'name':'b'}]}",
	  "a.ex.org b.ex.org " },
	{ "{{name}}:{{#l}}{{name}},{{/l}}{{name}}",
	  "{'name':'root','l':[{'name':'x'},{}]}", "root:x,root,root" },
	{ "{{#l}}{{#@first}}[{{/@first}}{{@index}}={{.}}"
	  "{{^@last}},{{/@last}}{{#@last}}]{{/@last}}{{/l}}",
	  "{'l':['a','b','c']}", "[0=a,1=b,2=c]" },
	{ "{{#l}}{{@first}}/{{@last}} {{/l}}", "{'l':[1,2]}",
	  "true/false false/true " },
	{ "{{#l}}{{^@first}}no{{/@first}}{{#@last}}last{{/@last}}{{/l}}",
	  "{'l':[0]}", "last" },
	{ "{{#a}}{{#b}}{{@index}}{{/b}}|{{@index}} {{/a}}",
	  "{'a':[{'b':[1,2]},{'b':[1]}]}", "01|0 0|1 " },
	{ "{{#l}}{{#o}}{{@index}}{{k}}{{/o}}{{/l}}",
	  "{'l':[{'o':{'k':'x'}},{'o':{'k':'y'}}]}", "0x1y" },
	/* sections over other values */
	{ "{{#app}}{{name}}@{{port}}{{/app}}",
	  "{'app':{'name':'api','port':80}}", "api@80" },
	{ "{{#keepalive}}keepalive {{.}};{{/keepalive}}",
	  "{'keepalive':32}", "keepalive 32;" },
	{ "{{#t}}t{{/t}}{{#f}}f{{/f}}{{#n}}n{{/n}}{{#m}}m{{/m}}"
	  "{{#e}}e{{/e}}{{#s}}s{{/s}}{{#z}}z{{/z}}{{#o}}o{{/o}}"
	  "{{#x}}x{{/x}}",
	  "{'t':true,'f':false,'n':null,'e':[],'s':'','z':0,'o':{},"
	  "'x':'y'}", "tzox" },
	{ "{{^t}}t{{/t}}{{^f}}f{{/f}}{{^n}}n{{/n}}{{^m}}m{{/m}}"
	  "{{^e}}e{{/e}}{{^s}}s{{/s}}{{^z}}z{{/z}}{{^o}}o{{/o}}"
	  "{{^x}}x{{/x}}{{^l}}l{{/l}}",
	  "{'t':true,'f':false,'n':null,'e':[],'s':'','z':0,'o':{},"
	  "'x':'y','l':[1]}", "fnmes" },
	/* a section that does not render may name anything */
	{ "{{#x}}{{y}}{{/x}}ok", "{}", "ok" },
	/* standalone lines go, newline and all */
	{ "upstream a {\n  {{#s}}\n  server {{h}};\n  {{/s}}\n}\n",
	  "{'s':[{'h':'x'},{'h':'y'}]}",
	  "upstream a {\n  server x;\n  server y;\n}\n" },
	{ "\t{{^s}}\n\t# none\n\t{{/s}}\n", "{'s':[]}", "\t# none\n" },
	{ "{{#a}}\r\nx\r\n{{/a}}\r\n", "{'a':true}", "x\r\n" },
	{ "x\n{{#a}}\ny\n  {{/a}}", "{'a':true}", "x\ny\n" },
	{ "{{#a}}{{#b}}\nx\n{{/b}} {{/a}}\n", "{'a':1,'b':1}", "x\n" },
	{ "a {{#t}}b{{/t}}\n", "{'t':true}", "a b\n" },
	{ "  {{x}}\n", "{'x':1}", "  1\n" },
	{ "  \n{{#t}}\n{{/t}}", "{'t':false}", "  \n" },
	{ "{{#t}}\nx\n{{/t}}\n", "{'t':false}", "" },
	/* comments, inline, standalone, over lines */
	{ "a{{! note }}b\n{{! whole line }}\n  {{! multi\nline }}  \nc\n",
	  NULL, "ab\nc\n" },
	{ "{{! {x} ; }}ok{{!}}", NULL, "ok" },
	{ "{{# a }}x{{/ a }}{{^ b}}y{{/b }}", "{'a':true}", "xy" },
};

/* Each row: the template renders exactly the expected text. */
START_TEST(test_output)
{
	const struct out_row *r = &out_rows[_i];
	struct derr e = { "" };
	char *out = render(r->tmpl, r->ctx, &e);

	ck_assert_msg(out != NULL, "row %d: %s", _i, e.msg);
	ck_assert_msg(strcmp(out, r->out) == 0,
		      "row %d: got \"%s\", want \"%s\"", _i, out, r->out);
	free(out);
}
END_TEST

/* A template with a mistake and the error its parse must give. */
static const struct parse_row {
	const char *tmpl, *err;
} parse_rows[] = {
	{ "a\n{{b\n}}", NAME ":2: '{{' is not closed" },
	{ "x {{name", NAME ":1: '{{' is not closed" },
	{ "ok\n{{! never closed\n", NAME ":2: '{{' is not closed" },
	{ "a\n\n{{! multi\nline }}{{b", NAME ":4: '{{' is not closed" },
	{ "{{#servers}}\nx\n", NAME ":1: section 'servers' is not closed" },
	{ "{{#a}}\n  {{#b}}\n", NAME ":2: section 'b' is not closed" },
	{ "{{#a}}{{/b}}",
	  NAME ":1: '{{/b}}' does not match open section 'a' (line 1)" },
	{ "{{#a}}\n{{#b}}\n{{/b}}\n{{^c}}\n{{/a}}",
	  NAME ":5: '{{/a}}' does not match open section 'c' (line 4)" },
	{ "x\n{{/a}}", NAME ":2: '{{/a}}' has no open section" },
	{ "{{}}", NAME ":1: tag '{{}}' has no name" },
	{ "{{# }}", NAME ":1: tag '{{#}}' has no name" },
	{ "{{&}}", NAME ":1: tag '{{&}}' has no name" },
	{ "{{a b}}", NAME ":1: bad name 'a b'" },
	{ "{{a..b}}", NAME ":1: bad name 'a..b'" },
	{ "{{.a}}", NAME ":1: bad name '.a'" },
	{ "{{a.}}", NAME ":1: bad name 'a.'" },
	{ "{{a;}}", NAME ":1: bad name 'a;'" },
	{ "{{{a}}}", NAME ":1: bad name '{a'" },
	{ "{{#l}}{{@foo}}{{/l}}", NAME ":1: unknown name '@foo'" },
	{ "{{@index}}", NAME ":1: '@index' outside a loop" },
	{ "{{^@last}},{{/@last}}", NAME ":1: '@last' outside a loop" },
	{ "{{#l}}{{#@index}}{{/@index}}{{/l}}",
	  NAME ":1: '@index' cannot open a section" },
	{ "{{/@last}}", NAME ":1: '{{/@last}}' has no open section" },
	/* the first mistake in the file is the one reported */
	{ "{{a b}}\n{{#x}}", NAME ":1: bad name 'a b'" },
};

/* Each row: parsing fails with exactly the expected message. */
START_TEST(test_parse_error)
{
	const struct parse_row *r = &parse_rows[_i];
	struct derr e = { "" };
	struct template *t = template_parse(r->tmpl, NAME, &e);

	ck_assert_msg(t == NULL, "row %d: parsed", _i);
	ck_assert_str_eq(e.msg, r->err);
}
END_TEST

/* A good template, a context it cannot render and the error. */
static const struct render_row {
	const char *tmpl, *ctx, *err;
} render_rows[] = {
	{ "x\n{{upstream_name}}", "{}",
	  NAME ":2: no value for 'upstream_name'" },
	{ "{{a}}", NULL, NAME ":1: no value for 'a'" },
	{ "{{a.b}}", "{'a':{}}", NAME ":1: no value for 'a.b'" },
	{ "{{a.b}}", "{'a':'s','b':1}", NAME ":1: no value for 'a.b'" },
	{ "{{l.5}}", "{'l':[1]}", NAME ":1: no value for 'l.5'" },
	{ "{{l.x}}", "{'l':[1]}", NAME ":1: no value for 'l.x'" },
	{ "{{^x}}{{y}}{{/x}}", "{}", NAME ":1: no value for 'y'" },
	{ "server_name {{server_name}};", "{'server_name':'a;b'}",
	  NAME ":1: value of 'server_name' contains ';'" },
	{ "{{v}}", "{'v':'a{'}", NAME ":1: value of 'v' contains '{'" },
	{ "{{v}}", "{'v':'a}'}", NAME ":1: value of 'v' contains '}'" },
	{ "{{v}}", "{'v':'a\\\"'}",
	  NAME ":1: value of 'v' contains '\"'" },
	{ "{{v}}", "{'v':'a\\u0027'}",
	  NAME ":1: value of 'v' contains \"'\"" },
	{ "{{v}}", "{'v':'a\\\\'}", NAME ":1: value of 'v' contains '\\'" },
	{ "{{v}}", "{'v':'a\\nb'}",
	  NAME ":1: value of 'v' contains a newline" },
	{ "{{v}}", "{'v':'a\\tb'}", NAME ":1: value of 'v' contains a tab" },
	{ "{{v}}", "{'v':'a\\r'}",
	  NAME ":1: value of 'v' contains a carriage return" },
	{ "{{v}}", "{'v':'\\u0001'}",
	  NAME ":1: value of 'v' contains control character 0x01" },
	{ "{{v}}", "{'v':'\\u007f'}",
	  NAME ":1: value of 'v' contains control character 0x7f" },
	{ "{{app.host}}", "{'app':{'host':'a b;'}}",
	  NAME ":1: value of 'app.host' contains ';'" },
	{ "{{#l}}{{.}}{{/l}}", "{'l':['ok','x}']}",
	  NAME ":1: value of '.' contains '}'" },
	{ "a\n{{#s}}\nserver {{h}};\n{{/s}}\n",
	  "{'s':[{'h':'ok'},{'h':'b;ad'}]}",
	  NAME ":3: value of 'h' contains ';'" },
	{ "{{n}}", "{'n':null}", NAME ":1: value of 'n' is null" },
	{ "{{&o}}", "{'o':{}}", NAME ":1: value of 'o' is an object" },
	{ "{{l}}", "{'l':[]}", NAME ":1: value of 'l' is an array" },
	{ "{{#o}}{{@first}}{{/o}}", "{'o':{}}",
	  NAME ":1: '@first' outside a loop" },
	{ "{{#o}}\n{{@index}}{{/o}}", "{'o':1}",
	  NAME ":2: '@index' outside a loop" },
};

/* Each row: rendering fails with exactly the expected message. */
START_TEST(test_render_error)
{
	const struct render_row *r = &render_rows[_i];
	struct derr e = { "" };
	char *out = render(r->tmpl, r->ctx, &e);

	ck_assert_msg(out == NULL, "row %d: rendered \"%s\"", _i, out);
	ck_assert_str_eq(e.msg, r->err);
}
END_TEST

/* Sections nest up to 32 deep; one more is a parse error. */
START_TEST(test_depth)
{
	struct strbuf s = STRBUF_INIT;
	struct derr e = { "" };
	struct template *t;
	json_t *ctx = ctx_from("{'a':true}");
	struct strbuf out = STRBUF_INIT;

	for (int i = 0; i < 32; i++)
		strbuf_addstr(&s, "{{#a}}");
	strbuf_addstr(&s, "x");
	for (int i = 0; i < 32; i++)
		strbuf_addstr(&s, "{{/a}}");
	t = template_parse(s.buf, NAME, &e);
	ck_assert_msg(t != NULL, "%s", e.msg);
	ck_assert_int_eq(template_render(t, ctx, &out, &e), 0);
	ck_assert_str_eq(out.buf, "x");
	template_free(t);

	strbuf_reset(&s);
	for (int i = 0; i < 33; i++)
		strbuf_addf(&s, "{{#a}}\n");
	ck_assert_ptr_null(template_parse(s.buf, NAME, &e));
	ck_assert_str_eq(e.msg, NAME ":33: sections nested deeper than 32");
	strbuf_release(&s);
	strbuf_release(&out);
	json_decref(ctx);
}
END_TEST

/* A template renders many times, appending; a cut output fails. */
START_TEST(test_reuse)
{
	struct derr e = { "" };
	struct template *t = template_parse("{{#l}}{{.}}{{/l}};", NAME, &e);
	struct strbuf out = STRBUF_INIT;
	json_t *a = ctx_from("{'l':[1,2]}");
	json_t *b = ctx_from("{'l':['x']}");

	ck_assert_ptr_nonnull(t);
	strbuf_addstr(&out, "# head\n");
	ck_assert_int_eq(template_render(t, a, &out, &e), 0);
	ck_assert_int_eq(template_render(t, b, &out, &e), 0);
	ck_assert_int_eq(template_render(t, a, &out, &e), 0);
	ck_assert_str_eq(out.buf, "# head\n12;x;12;");
	strbuf_release(&out);

	/* output cut at a capped buffer's end is an error */
	strbuf_init(&out, 8);
	ck_assert_int_eq(template_render(t, a, &out, &e), 0);
	ck_assert_int_eq(template_render(t, a, &out, &e), 0);
	ck_assert_int_eq(template_render(t, a, &out, &e), -1);
	ck_assert_str_eq(e.msg, NAME ": output is longer than 8 bytes");
	template_free(t);
	template_free(NULL);
	strbuf_release(&out);
	json_decref(a);
	json_decref(b);
}
END_TEST

/* Write text to dir/file; returns the path (caller frees). */
static char *
write_tmp(const char *dir, const char *file, const char *text, size_t n)
{
	char *path;
	FILE *f;

	ck_assert_int_gt(asprintf(&path, "%s/%s", dir, file), 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

/* template_load reads a file; its errors name the file's base name. */
START_TEST(test_load)
{
	char dir[] = "/tmp/check_template.XXXXXX";
	const char text[] = "upstream x {\n\tserver {{host}};\n}\n";
	struct derr e = { "" };
	struct strbuf out = STRBUF_INIT;
	struct template *t;
	char *good, *nul, *missing, *want;
	json_t *ok = ctx_from("{'host':'127.0.0.1:3000'}");
	json_t *bad = ctx_from("{'host':'x; evil'}");

	ck_assert_ptr_nonnull(mkdtemp(dir));
	good = write_tmp(dir, "nginx.conf.tmpl", text, sizeof text - 1);
	nul = write_tmp(dir, "nul.tmpl", "a\0b", 3);
	ck_assert_int_gt(asprintf(&missing, "%s/nope.tmpl", dir), 0);

	t = template_load(good, &e);
	ck_assert_msg(t != NULL, "%s", e.msg);
	ck_assert_int_eq(template_render(t, ok, &out, &e), 0);
	ck_assert_str_eq(out.buf,
			 "upstream x {\n\tserver 127.0.0.1:3000;\n}\n");
	ck_assert_int_eq(template_render(t, bad, &out, &e), -1);
	ck_assert_str_eq(e.msg,
			 "nginx.conf.tmpl:2: value of 'host' contains ';'");
	template_free(t);

	ck_assert_ptr_null(template_load(missing, &e));
	ck_assert_int_gt(asprintf(&want, "cannot read '%s': %s", missing,
				  strerror(ENOENT)), 0);
	ck_assert_str_eq(e.msg, want);
	free(want);
	ck_assert_ptr_null(template_load(nul, &e));
	ck_assert_int_gt(asprintf(&want, "cannot read '%s': it holds a NUL "
				  "byte", nul), 0);
	ck_assert_str_eq(e.msg, want);
	free(want);

	unlink(good);
	unlink(nul);
	ck_assert_int_eq(rmdir(dir), 0);
	free(good);
	free(nul);
	free(missing);
	strbuf_release(&out);
	json_decref(ok);
	json_decref(bad);
}
END_TEST

#define BIG	10000

/* A 10,000-server upstream renders every line, in order. */
START_TEST(test_big_loop)
{
	static const char tmpl[] =
		"upstream app {\n"
		"\t{{#servers}}\n"
		"\tserver {{host}}:{{port}}{{#backup}} backup{{/backup}};"
		" # {{@index}}{{#@last}} last{{/@last}}\n"
		"\t{{/servers}}\n"
		"}\n";
	struct derr e = { "" };
	struct template *t = template_parse(tmpl, NAME, &e);
	struct strbuf out = STRBUF_INIT;
	json_t *ctx = json_object(), *servers = json_array();
	size_t lines = 0;
	char want[128];

	ck_assert_ptr_nonnull(t);
	for (int i = 0; i < BIG; i++) {
		char host[32];

		snprintf(host, sizeof host, "198.18.%d.%d", i / 256, i % 256);
		json_array_append_new(servers, json_pack("{s:s, s:i, s:b}",
			"host", host, "port", 3000 + i, "backup", i % 2));
	}
	json_object_set_new(ctx, "servers", servers);
	ck_assert_int_eq(template_render(t, ctx, &out, &e), 0);

	for (size_t i = 0; i < out.len; i++)
		lines += out.buf[i] == '\n';
	ck_assert_uint_eq(lines, BIG + 2);
	ck_assert_ptr_nonnull(strstr(out.buf, "upstream app {\n\tserver "
				     "198.18.0.0:3000; # 0\n\tserver "
				     "198.18.0.1:3001 backup; # 1\n"));
	snprintf(want, sizeof want, "\tserver 198.18.%d.%d:%d backup; # %d "
		 "last\n}\n", (BIG - 1) / 256, (BIG - 1) % 256,
		 3000 + BIG - 1, BIG - 1);
	ck_assert_str_eq(out.buf + out.len - strlen(want), want);
	template_free(t);
	strbuf_release(&out);
	json_decref(ctx);
}
END_TEST

/* The template suite. */
static Suite *
template_suite(void)
{
	Suite *s = suite_create("template");
	TCase *tc = tcase_create("template");

	tcase_add_loop_test(tc, test_output, 0, ARRAY_SIZE(out_rows));
	tcase_add_loop_test(tc, test_parse_error, 0, ARRAY_SIZE(parse_rows));
	tcase_add_loop_test(tc, test_render_error, 0,
			    ARRAY_SIZE(render_rows));
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_reuse);
	tcase_add_test(tc, test_load);
	tcase_add_test(tc, test_big_loop);
	suite_add_tcase(s, tc);
	return s;
}

/* Run the suite; exit status 0 when every test passed. */
int
main(void)
{
	SRunner *sr = srunner_create(template_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* sup_inst.c: one worker instance: spawn, stop, exit, timers, output */
#include "core/lib/spawn.h"
#include "core/lib/fileio.h"
#include "core/lib/logfile.h"
#include "core/probe/nodeipc.h"
#include "core/lib/strbuf.h"
#include "core/lib/procinfo.h"
#include "core/sup/sup_int.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* A new stopped instance of app. */
struct sup_inst *
sup_inst_new(struct sup_app *app, int index)
{
	struct sup_inst *in = xcalloc(1, sizeof *in);

	in->app = app;
	in->index = index;
	in->state = WS_STOPPED;
	in->out_fd = in->err_fd = -1;
	in->deadline = in->next_probe = -1;
	in->exit_status = -1;
	in->failed_at = in->crashed_at = -1;
	in->pidfd = -1;
	in->serial = ++app->s->serial;
	return in;
}

/* Close one output pipe, and the holder's copy. */
static void
close_pipe(struct sup_inst *in, int *fd)
{
	char tag[64];

	if (*fd < 0)
		return;
	loop_close(*fd);
	*fd = -1;
	if (in->pipe_pid > 0) {
		sup_pipe_tag(tag, sizeof tag, in->pipe_pid, fd == &in->err_fd);
		sup_unhold(in->app->s, tag);
	}
}

/* Close Node's IPC channel, and the holder's copy. */
static void
close_ipc(struct sup_inst *in)
{
	char tag[64];

	if (in->ipc == NULL)
		return;
	nodeipc_free(in->ipc);
	in->ipc = NULL;
	if (in->pipe_pid > 0) {
		sup_ipc_tag(tag, sizeof tag, in->pipe_pid);
		sup_unhold(in->app->s, tag);
	}
}

/* Close the output pipes, flushing what they held, and the channel. */
static void
close_pipes(struct sup_inst *in)
{
	close_pipe(in, &in->out_fd);
	close_pipe(in, &in->err_fd);
	close_ipc(in);
	in->pipe_pid = 0;
	sup_logs_detach(in);
}

/* Stop watching an adopted process's pidfd. */
static void
close_pidfd(struct sup_inst *in)
{
	if (in->pidfd >= 0)
		loop_close(in->pidfd);
	in->pidfd = -1;
}

/* Free an instance (its process, if any, is not touched). */
void
sup_inst_free(struct sup_inst *in)
{
	if (in == NULL)
		return;
	sup_ready_end(in);
	close_pipes(in);
	close_pidfd(in);
	free(in->strays);
	free(in->reason);
	free(in->last_err);
	free(in);
}

/* Replace the instance's reason text. */
void
sup_inst_set_reason(struct sup_inst *in, const char *fmt, ...)
{
	va_list ap;

	free(in->reason);
	va_start(ap, fmt);
	in->reason = xvasprintf(fmt, ap);
	va_end(ap);
}

/* True while the instance has a process (not yet reaped). */
bool
sup_inst_has_process(const struct sup_inst *in)
{
	return in->pid > 0;
}

/* True while a process of the instance's last group is still there. */
bool
sup_inst_group_lingers(struct sup_inst *in)
{
	if (in->group_left > 0 && (!spawn_group_alive(in->group_left) ||
				   (in->foreign &&
				    !proc_group_live(in->group_left)))) {
		in->group_left = 0;
		in->foreign = false;
	}
	return in->group_left > 0 || sup_inst_strays_alive(in);
}

/* The command line: interpreter, its args, script, args. */
static char **
build_argv(const struct eco_app *cfg)
{
	char **argv = xcalloc(1, sizeof *argv);
	char *script;

	if (cfg->shell) {
		argv = strv_push(argv, eco_shell());
		argv = strv_push(argv, "-c");
		return strv_push(argv, cfg->script);
	}
	script = path_join_existing(cfg->cwd, cfg->script);
	if (cfg->interpreter != NULL) {
		argv = strv_push(argv, cfg->interpreter);
		for (char **a = cfg->interpreter_args; a && *a; a++)
			argv = strv_push(argv, *a);
	}
	argv = strv_push(argv, script);
	for (char **a = cfg->args; a && *a; a++)
		argv = strv_push(argv, *a);
	free(script);
	return argv;
}

/* The environment: the daemon's, the app's, PORT and instance var. */
static char **
build_env(const struct sup_inst *in)
{
	struct eco_env env = { 0 }, own;
	char **out = xcalloc(1, sizeof *out);
	char *mark;

	for (char **e = environ; *e != NULL; e++) {
		char *eq = strchr(*e, '=');

		if (eq != NULL) {
			char *name = xstrndup(*e, (size_t)(eq - *e));
			eco_env_set(&env, name, eq + 1);
			free(name);
		}
	}
	eco_instance_env(in->app->cfg, in->index, &own);
	for (size_t i = 0; i < own.n; i++)
		eco_env_set(&env, own.vars[i].name, own.vars[i].value);
	eco_env_free(&own);
	mark = sup_inst_marker(in);
	eco_env_set(&env, WORKER_MARK_VAR, mark);
	free(mark);
	for (size_t i = 0; i < env.n; i++) {
		char *kv = xasprintf("%s=%s", env.vars[i].name,
				     env.vars[i].value);
		out = strv_push(out, kv);
		free(kv);
	}
	eco_env_free(&env);
	return out;
}

/* Fork and exec the worker; -1 with the reason set on failure, -2
   when the failure may pass (the machine short of fds or processes). */
static int
do_spawn(struct sup_inst *in)
{
	const struct eco_app *cfg = in->app->cfg;
	char **argv = build_argv(cfg), **envp = build_env(in);
	struct spawn_req req = {
		.argv = (const char *const *)argv,
		.envp = (const char *const *)envp,
		.cwd = cfg->cwd,
		.listen_fd = in->app->listen_fd,
		.notify_socket = cfg->wait_ready ? in->app->s->notify_path
						 : NULL,
	};
	struct spawn_result res;
	struct derr e;
	int rc = -1, ipc[2] = { -1, -1 };

	close_pipes(in);
	if (nodeipc_wanted(cfg) && nodeipc_pair(ipc) == 0)
		req.ipc_fd = ipc[1];
	if (sup_logs_attach(in->app->s, in, &e) < 0) {
		sup_inst_set_reason(in, "%s", e.msg);
		goto out;
	}
	if (spawn_worker(&req, &res, &e) < 0) {
		sup_inst_set_reason(in, "%s%s", e.msg, res.transient ?
				" (trying again)" : "");
		sup_logs_detach(in);
		rc = res.transient ? -2 : -1;
		goto out;
	}
	if (ipc[0] >= 0)
		in->ipc = nodeipc_new(ipc[0]);
	ipc[0] = -1;
	in->pid = res.pid;
	in->out_fd = res.out_fd;
	in->err_fd = res.err_fd;
	in->foreign = false;
	sup_inst_hold_pipes(in);
	in->started_mono = now_ms();
	in->started_wall = wall_ms();
	in->ready_failed = false;
	in->cpu = 0;
	in->rss = 0;
	dlog("%s:%d: started pid %d", cfg->name, in->index, (int)in->pid);
	sup_ready_begin(in, in->started_mono);
	rc = 0;
out:
	if (ipc[0] >= 0)
		close(ipc[0]);
	if (ipc[1] >= 0)
		close(ipc[1]);
	strv_free(argv);
	strv_free(envp);
	return rc;
}

/* Carry out one transition's actions, then enter its state. */
static void
apply(struct sup_inst *in, const struct transition *t)
{
	const struct eco_app *cfg = in->app->cfg;
	struct transition next = *t;
	long long now = now_ms();

	in->app->s->run_dirty = true;
	if (t->actions & (WA_CANCEL_RESTART_TIMER | WA_CANCEL_KILL_TIMER))
		in->deadline = -1;
	if ((t->actions & WA_SIGNAL_STOP) && in->pid > 0 &&
	    !(cfg->shutdown_with_message &&
	      nodeipc_send(in->ipc, "shutdown") == 0)) {
		spawn_signal_group(in->pid, cfg->kill_signal);
		sup_inst_signal_tree(in, cfg->kill_signal);
	}
	if (t->actions & WA_ARM_KILL_TIMER)
		in->deadline = now + cfg->kill_timeout;
	if ((t->actions & WA_SIGNAL_KILL) && in->pid > 0) {
		spawn_signal_group(in->pid, SIGKILL);
		sup_inst_signal_tree(in, SIGKILL);
	}
	if (t->actions & WA_RESET_CRASHES)
		restart_state_reset(&in->rs);
	if (t->actions & WA_COUNT_RESTART)
		in->rs.restarts++;
	if (t->actions & WA_APPLY_POLICY) {
		struct restart_policy p;
		long delay = 0;
		enum restart_verdict v;

		restart_policy_from_app(&p, cfg);
		v = restart_on_exit(&p, &in->rs, in->exit_status,
				    (long)(now - in->started_mono), &delay);
		worker_verdict(v, &next);
		if (next.actions & WA_ARM_RESTART_TIMER)
			in->deadline = now + delay;
		if (v != RESTART_STOPPED || in->reason == NULL)
			dlog("%s:%d: %s", cfg->name, in->index,
				restart_verdict_name(v));
	}
	if (next.next != WS_STARTING)
		sup_ready_end(in);
	in->state = next.next;
	if (next.next == WS_ERRORED)
		in->failed_at = now;
	if (next.next == WS_ERRORED && next.reason != WR_NONE)
		in->why_errored = next.reason;
	if (next.actions & WA_SPAWN) {
		int rc = do_spawn(in);

		if (rc == -2) {		/* as a crash: the policy retries */
			dlog("%s:%d: %s", cfg->name, in->index,
				in->reason);
			in->started_mono = now;
			in->exit_status = -1;
			sup_inst_event(in, EV_EXIT);
		} else if (rc < 0) {
			sup_inst_event(in, EV_EXEC_FAILED);
		}
	}
}

/* Feed an event to the instance's state table. */
void
sup_inst_event(struct sup_inst *in, enum wevent ev)
{
	struct transition t;

	if (worker_transition(in->state, ev, &t) < 0) {
		dlog("%s:%d: event '%s' in state '%s' ignored",
			in->app->cfg->name, in->index, wevent_name(ev),
			wstate_name(in->state));
		return;
	}
	apply(in, &t);
}

/* User start. */
void
sup_inst_start(struct sup_inst *in)
{
	free(in->reason);
	in->reason = NULL;
	in->why_errored = WR_NONE;
	sup_inst_event(in, EV_START);
}

/* User stop: the stop signal, SIGKILL after kill_timeout. */
void
sup_inst_stop(struct sup_inst *in)
{
	sup_inst_event(in, EV_STOP);
}

/* User restart: stop, then spawn again. */
void
sup_inst_restart(struct sup_inst *in)
{
	sup_inst_event(in, EV_RESTART);
}

/* RSS over max_memory_restart: a graceful restart, counted. */
void
sup_inst_memory_restart(struct sup_inst *in)
{
	char mem[32];

	snprintf(mem, sizeof mem, "%lld", in->rss);
	sup_inst_set_reason(in, "memory %s bytes over max_memory_restart", mem);
	dlog("%s:%d: %s", in->app->cfg->name, in->index, in->reason);
	sup_inst_event(in, EV_MEMORY_LIMIT);
}

/* Move what a pipe holds into the log; -1 at EOF or error. */
static int
drain_pipe(int fd, struct logwriter *w)
{
	char buf[65536];

	for (int rounds = 0; rounds < 16; rounds++) {
		ssize_t n = read(fd, buf, sizeof buf);

		if (n > 0) {
			if (w != NULL)
				logwriter_write(w, buf, (size_t)n);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		return -1;
	}
	return 0;
}

/* Describe a wait status: "exited with code 1", "killed by SIGKILL". */
static void
describe_status(int status, char *buf, size_t size)
{
	if (status == SUP_STATUS_UNKNOWN)
		snprintf(buf, size, "exited (adopted, so its status is "
			 "unknown)");
	else if (WIFEXITED(status))
		snprintf(buf, size, "exited with code %d",
			 WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by SIG%s",
			 sigabbrev_np(WTERMSIG(status)) ?
			 sigabbrev_np(WTERMSIG(status)) : "?");
	else
		snprintf(buf, size, "status %d", status);
}

/* The process was reaped: flush its output, end its group, decide. */
void
sup_inst_on_exit(struct sup_inst *in, int status)
{
	char how[320];
	pid_t pid = in->pid;
	bool asked = in->state == WS_STOPPING || in->state == WS_RESTARTING;

	if (in->out_fd >= 0)
		drain_pipe(in->out_fd, in->out);
	if (in->err_fd >= 0)
		drain_pipe(in->err_fd, in->err);
	close_pipes(in);
	close_pidfd(in);
	/* Nothing of the group, nor what left it during a stop, outlives
	   its leader. */
	spawn_signal_group(pid, SIGKILL);
	for (size_t i = 0; i < in->n_strays; i++)
		if (proc_is_alive(in->strays[i].pid, in->strays[i].start))
			kill(in->strays[i].pid, SIGKILL);
	in->group_left = pid;
	in->pid = 0;
	in->cpu = 0;	/* a process that is gone uses nothing */
	in->rss = 0;
	in->exit_status = status;
	describe_status(status, how, sizeof how);
	if (!asked)
		sup_ready_exit_note(in, pid, how, sizeof how);
	dlog("%s:%d: pid %d %s", in->app->cfg->name, in->index, (int)pid,
		how);
	if (!asked) {
		sup_inst_set_reason(in, "%s", how);
		in->crashed_at = now_ms();
	}
	sup_inst_event(in, EV_EXIT);
	if (in->state == WS_ERRORED && in->why_errored == WR_CRASH_LOOP)
		sup_inst_set_reason(in, "%s; %s", how,
				wreason_name(in->why_errored));
}

/* Timers: kill after kill_timeout, restart after its delay, readiness. */
void
sup_inst_tick(struct sup_inst *in, long long now)
{
	if (in->state == WS_STARTING) {
		sup_ready_tick(in, now);
		return;
	}
	if (in->deadline < 0 || now < in->deadline)
		return;
	in->deadline = -1;
	if (in->state == WS_STOPPING || in->state == WS_RESTARTING)
		sup_inst_event(in, EV_KILL_TIMEOUT);
	else if (in->state == WS_WAITING_RESTART)
		sup_inst_event(in, EV_RESTART_TIMER);
}

/* Loop callback: worker output is ready. */
static void
pipe_event(void *arg, int fd, short revents)
{
	struct sup_inst *in = arg;
	int *slot = fd == in->err_fd ? &in->err_fd :
		fd == in->out_fd ? &in->out_fd : NULL;

	(void)revents;
	if (slot == NULL)
		return;		/* not this instance's pipe any more */
	if (drain_pipe(fd, slot == &in->err_fd ? in->err : in->out) < 0)
		close_pipe(in, slot);
}

/* Loop callback: an adopted process (not our child) has exited. */
static void
pidfd_event(void *arg, int fd, short revents)
{
	struct sup_inst *in = arg;

	(void)fd;
	(void)revents;
	close_pidfd(in);
	sup_queue_exit(in->app->s, in->pid, SUP_STATUS_UNKNOWN);
}

/* Give the holder copies of the instance's pipes. */
void
sup_inst_hold_pipes(struct sup_inst *in)
{
	char tag[64];

	in->pipe_pid = in->pid;
	sup_pipe_tag(tag, sizeof tag, in->pid, false);
	if (in->out_fd >= 0)
		sup_hold(in->app->s, tag, in->out_fd);
	sup_pipe_tag(tag, sizeof tag, in->pid, true);
	if (in->err_fd >= 0)
		sup_hold(in->app->s, tag, in->err_fd);
	sup_ipc_tag(tag, sizeof tag, in->pid);
	if (in->ipc != NULL)
		sup_hold(in->app->s, tag, nodeipc_fd(in->ipc));
}

/* Loop callback: Node's IPC channel; process.send('ready') is ready. */
static void
ipc_event(void *arg, int fd, short revents)
{
	struct sup_inst *in = arg;
	int r;

	(void)revents;
	if (in->ipc == NULL || nodeipc_fd(in->ipc) != fd)
		return;		/* closed since the poll: the worker exited */
	r = nodeipc_read(in->ipc);
	if (r > 0)
		sup_ready_on_notify(in->app->s, in->pid, "READY=1");
	if (r < 0)
		close_ipc(in);
}

/* Register the instance's pipes, probes and deadline. */
void
sup_inst_watch(struct sup_inst *in, struct loop *l)
{
	if (in->out_fd >= 0)
		loop_add(l, in->out_fd, POLLIN, pipe_event, in);
	if (in->err_fd >= 0)
		loop_add(l, in->err_fd, POLLIN, pipe_event, in);
	if (in->ipc != NULL)
		loop_add(l, nodeipc_fd(in->ipc), POLLIN, ipc_event, in);
	if (in->pidfd >= 0)
		loop_add(l, in->pidfd, POLLIN, pidfd_event, in);
	loop_deadline(l, in->deadline);
	if (in->state == WS_STARTING)
		sup_ready_watch(in, l);
}

/* The command line as one string, for display. */
static json_t *
command_line(const struct eco_app *cfg)
{
	char **argv = build_argv(cfg);
	struct strbuf sb = STRBUF_INIT;
	json_t *s;

	for (char **a = argv; *a != NULL; a++) {
		if (a != argv)
			strbuf_addch(&sb, ' ');
		strbuf_addstr(&sb, *a);
	}
	s = json_string(sb.buf);
	strbuf_release(&sb);
	strv_free(argv);
	return s;
}

/* The instance as one "ls" row. */
json_t *
sup_inst_to_json(const struct sup_inst *in)
{
	const struct eco_app *cfg = in->app->cfg;
	long long up = in->pid > 0 ? now_ms() - in->started_mono : 0;
	const char *status = in->retiring ? "retiring" :
		in->state == WS_RESTARTING ? "stopping" :
		wstate_name(in->state);
	json_t *o = json_pack("{s:s, s:i, s:i, s:s, s:f, s:I, s:i, s:I, s:I}",
		"app", cfg->name, "instance", in->index, "pid", (int)in->pid,
		"status", status, "cpu", in->cpu, "memory",
		(json_int_t)in->rss, "restarts", in->rs.restarts,
		"uptime_ms", (json_int_t)up, "started",
		(json_int_t)(in->pid > 0 ? in->started_wall : 0));

	json_object_set_new(o, "command", command_line(cfg));
	json_object_set_new(o, "cwd", json_string(cfg->cwd));
	if (cfg->port > 0)
		json_object_set_new(o, "port", json_integer(cfg->port +
							    in->index));
	if (cfg->listen != NULL)
		json_object_set_new(o, "listen", json_string(cfg->listen));
	if (in->reason != NULL)
		json_object_set_new(o, "reason", json_string(in->reason));
	if (in->ready_failed)
		json_object_set_new(o, "ready", json_false());
	if (in->ready_by != NULL && in->state == WS_ONLINE)
		json_object_set_new(o, "ready_by", json_string(in->ready_by));
	if (in->state == WS_WAITING_RESTART && in->deadline >= 0)
		json_object_set_new(o, "restart_in_ms", json_integer(
			in->deadline > now_ms() ? in->deadline - now_ms() : 0));
	if (in->exit_status != -1) {
		char how[64];

		describe_status(in->exit_status, how, sizeof how);
		json_object_set_new(o, "last_exit", json_string(how));
	}
	sup_logs_to_json(in, o);
	return o;
}

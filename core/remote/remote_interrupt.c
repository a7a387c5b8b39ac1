/* remote_interrupt.c: Ctrl-C during a remote run stops it cleanly */
#include "core/remote/remote_int.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t stop_asked, quit_asked;
/* What remote_interrupt_say has told so far: 0, 1 (stop), 2 (quit). */
static int told;

/*
 * SIGINT or SIGTERM, in any mix (CI runners send SIGINT, then
 * SIGTERM): the first asks every host to stop after its current step;
 * the second quits at once (remote commands stopped, unfinished
 * releases removed, locks released); a third ends the process.
 */
static void
on_stop_signal(int sig)
{
	if (!stop_asked) {
		stop_asked = 1;
	} else if (!quit_asked) {
		quit_asked = 1;
	} else {
		signal(sig, SIG_DFL);
		raise(sig);
	}
}

/* Catch SIGINT and SIGTERM for the run (not one that was ignored, as
   under nohup); the previous actions go to saved. */
void
remote_interrupt_catch(struct remote_interrupt_saved *saved)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	stop_asked = 0;
	quit_asked = 0;
	told = 0;
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
		saved->sig[i] = sigs[i];
		saved->caught[i] = false;
		if (sigaction(sigs[i], NULL, &saved->old[i]) < 0 ||
		    saved->old[i].sa_handler == SIG_IGN)
			continue;
		saved->caught[i] = sigaction(sigs[i], &sa, NULL) == 0;
	}
}

/* Put back the actions remote_interrupt_catch replaced. */
void
remote_interrupt_restore(const struct remote_interrupt_saved *saved)
{
	for (size_t i = 0; i < ARRAY_SIZE(saved->sig); i++)
		if (saved->caught[i])
			sigaction(saved->sig[i], &saved->old[i], NULL);
}

/* True once the user asked the run to stop. */
bool
remote_interrupted(void)
{
	return stop_asked != 0;
}

/* True once asked to quit at once. */
bool
remote_quit(void)
{
	return quit_asked != 0;
}

/* Tell what the signals so far asked for, each once (main thread). */
void
remote_interrupt_say(void)
{
	if (stop_asked && told < 1) {
		told = 1;
		fputs("deploy: interrupted: each host stops after its current "
		      "step, undoes what it did and unlocks (interrupt again "
		      "to quit at once)\n", stderr);
	}
	if (quit_asked && told < 2) {
		told = 2;
		fputs("deploy: quitting: remote commands stopped, unfinished "
		      "releases removed, locks released\n", stderr);
	}
}

/* remote_interrupt.c: Ctrl-C during a remote run stops it cleanly */
#include "remote_int.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_asked;

/* First SIGINT/SIGTERM: ask every host to stop; the next one kills. */
static void
on_stop_signal(int sig)
{
	static const char msg[] = "deploy: interrupted: each host stops "
		"after its current step, undoes what it did and unlocks "
		"(interrupt again to quit at once)\n";

	(void)sig;
	stop_asked = 1;
	if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0)
		stop_asked = 1;
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
	sa.sa_flags = SA_RESTART | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	stop_asked = 0;
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

#ifndef PROCESS_KIT_H
#define PROCESS_KIT_H

#include <spawn.h>

/* Swift's Glibc module is imported without _GNU_SOURCE, which hides pipe2 and
 * posix_spawn_file_actions_addclosefrom_np; these two wrappers are all the shim is for. */

/* pipe2(fds, O_CLOEXEC): both ends close-on-exec from the start, so a child spawned
 * by another thread in the same instant cannot inherit them. */
int pk_pipe_cloexec(int fds[2]);

/* Makes the child close every descriptor from `lowest` up before exec (glibc >= 2.34). */
int pk_spawn_closefrom(posix_spawn_file_actions_t *actions, int lowest);

#endif

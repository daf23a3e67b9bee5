/*
 * The embedded initramfs's /init until the agent takes over: proves the guest came up by
 * printing a marker and what it sees (kernel, CPUs, memory, command line), then resets the VM,
 * which kage takes as a clean end.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <unistd.h>

static void slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
}

/* "0-1,3" → 3 */
static int count_cpus(const char *list)
{
	int count = 0, a, b, n;

	while (*list) {
		if (sscanf(list, "%d-%d%n", &a, &b, &n) == 2)
			count += b - a + 1;
		else if (sscanf(list, "%d%n", &a, &n) == 1)
			count++;
		else
			break;
		list += n;
		if (*list == ',')
			list++;
	}
	return count;
}

int main(void)
{
	char online[256], cmdline[4096], meminfo[256];
	struct utsname u;

	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	uname(&u);
	slurp("/sys/devices/system/cpu/online", online, sizeof(online));
	slurp("/proc/cmdline", cmdline, sizeof(cmdline));
	slurp("/proc/meminfo", meminfo, sizeof(meminfo));

	printf("kage-init: guest is up\n");
	printf("kage-init: kernel %s %s\n", u.release, u.machine);
	printf("kage-init: cpus online %d (%s)\n", count_cpus(online), online);
	printf("kage-init: %s\n", meminfo);
	printf("kage-init: cmdline %s\n", cmdline);
	printf("kage-init: powering off\n");
	fflush(stdout);
	sync();
	reboot(RB_AUTOBOOT);
	return 1;
}

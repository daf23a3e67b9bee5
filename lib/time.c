/* See time.h. */
#include <time.h>

#include "time.h"

uint64_t time__now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

int64_t time__now_ms(void)
{
	return (int64_t)(time__now_ns() / 1000000u);
}

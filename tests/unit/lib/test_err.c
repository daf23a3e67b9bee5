/* The error contract: messages, errno text, context prefixes, NULL sinks, cleanup. */
#include <errno.h>
#include <string.h>

#include "lib/err.h"
#include "tests/unit/tap.h"

static int fails_with_errno(struct err **err)
{
	errno = ENOENT;
	return err_errno(err, "open '%s'", "/nope");
}

static int adds_context(struct err **err)
{
	int ret = fails_with_errno(err);

	if (ret < 0)
		return err_prefix(err, "load config");
	return 0;
}

int main(void)
{
	struct err *err = NULL;

	CHECK(err_msg(&err, "bad value %d", 7) == -1, "err_msg returns -1");
	CHECK(err && !strcmp(err->msg, "bad value 7") && err->errnum == 0, "err_msg formats");
	err_free(&err);
	CHECK(err == NULL, "err_free clears the pointer");

	CHECK(adds_context(&err) < 0, "failure propagates");
	CHECK(err && !strcmp(err->msg, "load config: open '/nope': No such file or directory"),
	      "context prefix and strerror: %s", err ? err->msg : "(null)");
	CHECK(err && err->errnum == ENOENT, "errnum kept");
	err_free(&err);

	errno = EPERM;
	CHECK(err_errno(&err, "x") == -1 && errno == EPERM, "err_errno keeps errno");
	err_free(&err);

	CHECK(err_code(&err, -EINVAL, "ioctl") == -1 && err && err->errnum == EINVAL &&
		      !strcmp(err->msg, "ioctl: Invalid argument"),
	      "err_code takes -errno");

	/* A later error on the same path replaces the earlier one without leaking it. */
	CHECK(err_msg(&err, "second") == -1 && !strcmp(err->msg, "second"), "later error replaces");
	err_free(&err);

	CHECK(err_msg(NULL, "discarded") == -1, "NULL sink accepted");
	CHECK(err_prefix(&err, "nothing to prefix") == -1 && err == NULL, "prefix of no error");
	{
		_cleanup_err_ struct err *scoped = NULL;

		err_msg(&scoped, "freed at scope end");
		CHECK(scoped != NULL, "cleanup attribute owns the error");
	}
	return tap_done();
}

/*
 * Helpers for atf-c unit tests: files in the work directory and a
 * configuration parsed from a string (see test_conf.h).  Test code
 * only; runs in the test program, trusts its input.
 */
#include <stdio.h>
#include <stdlib.h>

#include <atf-c.h>

#include "config.h"
#include "test_conf.h"

void
test_write_file(const char *path, const char *text)
{
	FILE	*fp;

	ATF_REQUIRE_MSG((fp = fopen(path, "w")) != NULL, "cannot write %s",
	    path);
	fputs(text, fp);
	ATF_REQUIRE(fclose(fp) == 0);
}

struct smtpd_config *
test_conf_parse(const char *text)
{
	struct config_opts	 o;
	struct smtpd_config	*c;
	char			*errs = NULL;
	size_t			 len = 0;
	FILE			*err;

	test_write_file("t.conf", text);
	config_opts_init(&o);
	o.co_no_files = 1;
	o.co_no_resolve = 1;
	ATF_REQUIRE((err = open_memstream(&errs, &len)) != NULL);
	o.co_err = err;
	c = config_parse("t.conf", &o);
	fclose(err);
	config_opts_clear(&o);
	ATF_REQUIRE_MSG(c != NULL, "%s", errs);
	free(errs);
	return c;
}

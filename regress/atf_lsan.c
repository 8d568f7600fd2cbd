/*
 * Linked into every atf-c test program.  libatf-c keeps its list of test
 * cases until exit: LeakSanitizer (on in the sanitizer build) must blame
 * only the code under test, so that list is suppressed here, once.
 */
const char	*__lsan_default_suppressions(void);
const char	*__lsan_default_options(void);

const char *
__lsan_default_suppressions(void)
{
	return "leak:libatf-c.so\n";
}

const char *
__lsan_default_options(void)
{
	return "print_suppressions=0";
}

/*
 * Unit tests of the delivery methods (deliver*.c), run directly in the
 * test case's work directory: maildir layout and unique names, junk,
 * no file left behind on failure, loop detection, read errors, mbox
 * From_ quoting, locking against a concurrent writer and append-or-
 * nothing, the MDA command's input, environment and status, and LMTP
 * against a small server in a forked child (CRLF, dot-stuffing,
 * per-recipient replies).
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <atf-c.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "deliver.h"
#include "envelope.h"

#define HDRS	"Return-Path: <Alice@example.org>\n" \
		"Delivered-To: Bob@example.net\n"

static struct envelope	evp;
static struct deliver	d;

static void
setup(enum evp_method m, const char *arg)
{
	memset(&evp, 0, sizeof(evp));
	evp.evp_id = 0x1234567890abcdefULL;
	evp.evp_type = EVP_MDA;
	evp.evp_method = m;
	(void)strlcpy(evp.evp_sender.ma_user, "Alice", SMTP_LOCALPART_MAX);
	(void)strlcpy(evp.evp_sender.ma_domain, "example.org",
	    SMTP_DOMAIN_MAX);
	(void)strlcpy(evp.evp_rcpt.ma_user, "bob+x", SMTP_LOCALPART_MAX);
	(void)strlcpy(evp.evp_rcpt.ma_domain, "example.net", SMTP_DOMAIN_MAX);
	(void)strlcpy(evp.evp_dest.ma_user, "Bob", SMTP_LOCALPART_MAX);
	(void)strlcpy(evp.evp_dest.ma_domain, "example.net", SMTP_DOMAIN_MAX);
	(void)strlcpy(evp.evp_user, "bob", sizeof(evp.evp_user));
	ATF_REQUIRE(getcwd(evp.evp_home, sizeof(evp.evp_home)) != NULL);
	(void)strlcpy(evp.evp_mda_arg, arg, sizeof(evp.evp_mda_arg));
	(void)umask(077);
}

static int
msgfd(const char *text)
{
	int	fd;

	ATF_REQUIRE((fd = open("message", O_RDWR | O_CREAT | O_TRUNC,
	    0600)) != -1);
	ATF_REQUIRE(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	return fd;
}

/* Load the message and run the envelope's method. */
static int
run(const char *text)
{
	int	fd, code;

	fd = msgfd(text);
	deliver_init(&d, &evp, "host.example", '+', -1);
	if ((code = deliver_load(&d, fd)) == 0)
		code = deliver_run(&d);
	deliver_free(&d);
	(void)close(fd);
	return code;
}

static char *
slurp(const char *path)
{
	static char	buf[1 << 20];
	int		fd;
	ssize_t		n;

	if ((fd = open(path, O_RDONLY)) == -1)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

/* Names in dir (not . and ..), up to 8; returns the count. */
static int
entries(const char *dir, char names[8][256])
{
	DIR		*dp;
	struct dirent	*de;
	int		 n = 0;

	if ((dp = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (n < 8)
			(void)strlcpy(names[n], de->d_name, 256);
		n++;
	}
	(void)closedir(dp);
	return n;
}

ATF_TC_WITHOUT_HEAD(maildir_layout);
ATF_TC_BODY(maildir_layout, tc)
{
	char		names[8][256], path[2100];
	struct stat	st;
	regex_t		re;
	int		i;

	setup(EVP_M_MAILDIR, "");
	ATF_REQUIRE_EQ(run("Subject: one\n\nbody\n"), 0);
	ATF_REQUIRE_EQ(run("Subject: two\n\nbody\n"), 0);
	ATF_REQUIRE(stat("Maildir", &st) == 0);
	ATF_CHECK_EQ(st.st_mode & 07777, 0700);
	ATF_REQUIRE(stat("Maildir/cur", &st) == 0);
	ATF_CHECK_EQ(st.st_mode & 07777, 0700);
	ATF_CHECK_EQ(entries("Maildir/tmp", names), 0);
	ATF_CHECK_EQ(entries("Maildir/cur", names), 0);
	ATF_REQUIRE_EQ(entries("Maildir/new", names), 2);
	ATF_CHECK(strcmp(names[0], names[1]) != 0);
	ATF_REQUIRE(regcomp(&re, "^[0-9]+\\.M[0-9]+P[0-9]+Q1234567890abcdef"
	    "\\.host\\.example$", REG_EXTENDED | REG_NOSUB) == 0);
	for (i = 0; i < 2; i++) {
		ATF_CHECK_MSG(regexec(&re, names[i], 0, NULL, 0) == 0,
		    "name %s", names[i]);
		ATF_REQUIRE((size_t)snprintf(path, sizeof(path),
		    "Maildir/new/%s", names[i]) < sizeof(path));
		ATF_REQUIRE(stat(path, &st) == 0);
		ATF_CHECK_EQ(st.st_mode & 07777, 0600);
		ATF_CHECK(strcmp(slurp(path), HDRS "Subject: one\n\nbody\n")
		    == 0 || strcmp(slurp(path), HDRS
		    "Subject: two\n\nbody\n") == 0);
	}
	regfree(&re);
}

ATF_TC_WITHOUT_HEAD(maildir_path_and_junk);
ATF_TC_BODY(maildir_path_and_junk, tc)
{
	char	names[8][256];

	setup(EVP_M_MAILDIR, "~/mail/%{rcpt.user:strip}");
	evp.evp_flags = EF_MAILDIR_JUNK;
	ATF_REQUIRE(mkdir("mail", 0700) == 0);
	ATF_REQUIRE_EQ(run("X-Spam: YES\nSubject: spam\n\nx\n"), 0);
	ATF_CHECK_EQ(entries("mail/bob/new", names), 0);
	ATF_CHECK_EQ(entries("mail/bob/.Junk/new", names), 1);
	ATF_CHECK_EQ(entries("mail/bob/.Junk/tmp", names), 0);
	ATF_REQUIRE_EQ(run("X-Spam: no\nSubject: ham\n\nX-Spam: yes\n"), 0);
	ATF_CHECK_EQ(entries("mail/bob/new", names), 1);
	/* without the option, spam is mail like any other */
	evp.evp_flags = 0;
	ATF_REQUIRE_EQ(run("X-Spam: yes\n\nx\n"), 0);
	ATF_CHECK_EQ(entries("mail/bob/new", names), 2);
}

ATF_TC_WITHOUT_HEAD(maildir_failure);
ATF_TC_BODY(maildir_failure, tc)
{
	char	names[8][256];
	int	fd;

	setup(EVP_M_MAILDIR, "box");
	ATF_REQUIRE(mkdir("box", 0700) == 0);
	ATF_REQUIRE(mkdir("box/tmp", 0700) == 0);
	ATF_REQUIRE(mkdir("box/cur", 0700) == 0);
	/* new/ is not a directory: the rename must fail */
	ATF_REQUIRE((fd = open("box/new", O_CREAT | O_WRONLY, 0600)) != -1);
	(void)close(fd);
	ATF_CHECK_EQ(run("Subject: x\n\nbody\n"), EX_TEMPFAIL);
	ATF_CHECK(strncmp(d.d_error, "4.2.0 ", 6) == 0);
	ATF_CHECK_EQ(entries("box/tmp", names), 0);
	/* an unusable maildir path */
	setup(EVP_M_MAILDIR, "nosuchdir/box");
	ATF_CHECK_EQ(run("Subject: x\n\nbody\n"), EX_TEMPFAIL);
}

ATF_TC_WITHOUT_HEAD(loop_and_headers);
ATF_TC_BODY(loop_and_headers, tc)
{
	char	names[8][256], path[2100];

	setup(EVP_M_MAILDIR, "");
	ATF_CHECK_EQ(run("Received: x\nDelivered-To:  bob@EXAMPLE.NET \n\nx\n"),
	    EX_DATAERR);
	ATF_CHECK_STREQ(d.d_error, "5.4.6 Loop detected");
	/* in the body it is no loop; another address neither */
	ATF_CHECK_EQ(run("Subject: x\n\nDelivered-To: Bob@example.net\n"), 0);
	ATF_CHECK_EQ(run("Delivered-To: other@example.net\n\nx\n"), 0);
	/* null sender: no Return-Path */
	memset(&evp.evp_sender, 0, sizeof(evp.evp_sender));
	ATF_REQUIRE(system("rm -rf Maildir") == 0);
	ATF_REQUIRE_EQ(run("Subject: bounce\n\nx\n"), 0);
	ATF_REQUIRE_EQ(entries("Maildir/new", names), 1);
	ATF_REQUIRE((size_t)snprintf(path, sizeof(path), "Maildir/new/%s",
	    names[0]) < sizeof(path));
	ATF_CHECK_STREQ(slurp(path),
	    "Delivered-To: Bob@example.net\nSubject: bounce\n\nx\n");
}

ATF_TC_WITHOUT_HEAD(read_errors);
ATF_TC_BODY(read_errors, tc)
{
	char	names[8][256];
	int	fd;

	setup(EVP_M_MAILDIR, "");
	(void)close(msgfd("Subject: x\n\nbody\n"));
	/* a descriptor that cannot be read */
	ATF_REQUIRE((fd = open("message", O_WRONLY)) != -1);
	deliver_init(&d, &evp, "host.example", '+', -1);
	ATF_CHECK_EQ(deliver_load(&d, fd), EX_TEMPFAIL);
	deliver_free(&d);
	(void)close(fd);
	/* not a regular file */
	ATF_REQUIRE((fd = open(".", O_RDONLY)) != -1);
	deliver_init(&d, &evp, "host.example", '+', -1);
	ATF_CHECK_EQ(deliver_load(&d, fd), EX_TEMPFAIL);
	deliver_free(&d);
	(void)close(fd);
	ATF_CHECK(entries("Maildir/new", names) <= 0);
}

ATF_TC_WITHOUT_HEAD(mbox_format);
ATF_TC_BODY(mbox_format, tc)
{
	regex_t		 re;
	char		*text;

	setup(EVP_M_MBOX, "~/mbox");
	ATF_REQUIRE_EQ(run("Subject: q\n\nFrom me\n>From you\n>>From x\n"
	    "From: not quoted\nFromage\n From y\nlast line"), 0);
	ATF_REQUIRE((text = slurp("mbox")) != NULL);
	ATF_REQUIRE(regcomp(&re, "^From Alice@example.org [A-Z][a-z]{2} "
	    "[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4}\n",
	    REG_EXTENDED | REG_NOSUB) == 0);
	ATF_CHECK_MSG(regexec(&re, text, 0, NULL, 0) == 0, "From_ line: %s",
	    text);
	regfree(&re);
	ATF_CHECK_STREQ(strchr(text, '\n') + 1, HDRS
	    "Subject: q\n\n>From me\n>>From you\n>>>From x\n"
	    "From: not quoted\nFromage\n From y\nlast line\n\n");
	/* a second delivery appends */
	memset(&evp.evp_sender, 0, sizeof(evp.evp_sender));
	ATF_REQUIRE_EQ(run("Subject: 2\n\nx\n"), 0);
	ATF_REQUIRE((text = slurp("mbox")) != NULL);
	ATF_CHECK(strstr(text, "last line\n\nFrom MAILER-DAEMON ") != NULL);
	ATF_CHECK(strstr(text, "Delivered-To: Bob@example.net\nSubject: 2\n\n"
	    "x\n\n") != NULL);
	ATF_CHECK_EQ(access("mbox.lock", F_OK), -1);
}

ATF_TC_WITHOUT_HEAD(mbox_lock);
ATF_TC_BODY(mbox_lock, tc)
{
	struct flock	 fl;
	time_t		 t0;
	pid_t		 pid;
	int		 p[2], fd, status;
	char		 c, *text;

	setup(EVP_M_FILE, "mbox");
	ATF_REQUIRE(pipe(p) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		/* a concurrent writer: holds the fcntl lock for 2 s */
		if ((fd = open("mbox", O_WRONLY | O_CREAT | O_APPEND,
		    0600)) == -1)
			_exit(1);
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		if (fcntl(fd, F_SETLKW, &fl) == -1)
			_exit(1);
		(void)write(p[1], "L", 1);
		(void)write(fd, "From other\n", 11);
		sleep(2);
		(void)write(fd, "writer done\n\n", 13);
		_exit(0);
	}
	(void)close(p[1]);
	ATF_REQUIRE(read(p[0], &c, 1) == 1);
	t0 = time(NULL);
	ATF_REQUIRE_EQ(run("Subject: after\n\nx\n"), 0);
	ATF_CHECK_MSG(time(NULL) - t0 >= 1, "did not wait for the lock");
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_REQUIRE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ATF_REQUIRE((text = slurp("mbox")) != NULL);
	ATF_CHECK_MSG(strncmp(text, "From other\nwriter done\n\nFrom Alice",
	    34) == 0, "mbox: %s", text);

	/* a fresh dotlock makes the delivery wait, a stale one is removed */
	ATF_REQUIRE((fd = open("mbox.lock", O_CREAT | O_WRONLY, 0600)) != -1);
	(void)close(fd);
	ATF_REQUIRE(system("touch -d '1 hour ago' mbox.lock") == 0);
	ATF_CHECK_EQ(run("Subject: stale\n\nx\n"), 0);
	ATF_CHECK_EQ(access("mbox.lock", F_OK), -1);
}

ATF_TC_WITHOUT_HEAD(mbox_append_or_nothing);
ATF_TC_BODY(mbox_append_or_nothing, tc)
{
	struct rlimit	 rl;
	char		 big[100000], *text;
	pid_t		 pid;
	int		 status, fd;

	setup(EVP_M_MBOX, "mbox");
	ATF_REQUIRE((fd = open("mbox", O_CREAT | O_WRONLY, 0600)) != -1);
	ATF_REQUIRE(write(fd, "From old\nold\n\n", 14) == 14);
	(void)close(fd);
	memset(big, 'a', sizeof(big));
	memcpy(big, "Subject: big\n\n", 14);
	big[sizeof(big) - 1] = '\0';
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid == 0) {
		/* The file may grow by 1000 bytes only: the write fails. */
		fd = msgfd(big);
		(void)signal(SIGXFSZ, SIG_IGN);
		rl.rlim_cur = rl.rlim_max = 14 + 1000;
		if (setrlimit(RLIMIT_FSIZE, &rl) == -1)
			_exit(99);
		deliver_init(&d, &evp, "host.example", '+', -1);
		if ((status = deliver_load(&d, fd)) == 0)
			status = deliver_run(&d);
		_exit(status);
	}
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	ATF_REQUIRE(WIFEXITED(status));
	ATF_CHECK_EQ(WEXITSTATUS(status), EX_TEMPFAIL);
	ATF_REQUIRE((text = slurp("mbox")) != NULL);
	ATF_CHECK_STREQ(text, "From old\nold\n\n");
	ATF_CHECK_EQ(access("mbox.lock", F_OK), -1);
}

ATF_TC_WITHOUT_HEAD(command);
ATF_TC_BODY(command, tc)
{
	char	*text;

	setup(EVP_M_MDA, "cat > out; env | sort > env.out; "
	    "echo %{rcpt.user} > arg.out");
	ATF_REQUIRE_EQ(run("Subject: cmd\n\nbody\n"), 0);
	ATF_CHECK_STREQ(slurp("out"), HDRS "Subject: cmd\n\nbody\n");
	ATF_CHECK_STREQ(slurp("arg.out"), "bob+x\n");
	ATF_REQUIRE((text = slurp("env.out")) != NULL);
	ATF_CHECK(strstr(text, "DOMAIN=example.net\n") != NULL);
	ATF_CHECK(strstr(text, "EXTENSION=") == NULL);
	ATF_CHECK(strstr(text, "LOCAL=Bob\n") != NULL);
	ATF_CHECK(strstr(text, "LOGNAME=bob\n") != NULL);
	ATF_CHECK(strstr(text, "ORIGINAL_RECIPIENT=bob+x@example.net\n") !=
	    NULL);
	ATF_CHECK(strstr(text, "PATH=/usr/bin:/bin\n") != NULL);
	ATF_CHECK(strstr(text, "RECIPIENT=Bob@example.net\n") != NULL);
	ATF_CHECK(strstr(text, "SENDER=Alice@example.org\n") != NULL);
	ATF_CHECK(strstr(text, "SHELL=/bin/sh\n") != NULL);
	ATF_CHECK(strstr(text, "USER=bob\n") != NULL);
	ATF_CHECK(strstr(text, "HOME=") != NULL);

	/* the sub-address tag of the destination */
	(void)strlcpy(evp.evp_dest.ma_user, "bob+lists", SMTP_LOCALPART_MAX);
	ATF_REQUIRE_EQ(run("Subject: cmd\n\nbody\n"), 0);
	ATF_CHECK(strstr(slurp("env.out"), "EXTENSION=lists\n") != NULL);

	/* exit status and the last line of stderr */
	setup(EVP_M_PIPE, "|echo noise >&2; echo '4.2.2 mailbox full' >&2; "
	    "exit 75");
	ATF_CHECK_EQ(run("Subject: x\n\nbody\n"), EX_TEMPFAIL);
	ATF_CHECK_STREQ(d.d_error, "4.2.2 mailbox full");
	setup(EVP_M_MDA, "exit 67");
	ATF_CHECK_EQ(run("Subject: x\n\nbody\n"), 67);
	ATF_CHECK_STREQ(d.d_error, "command exited with status 67");
	/* a command that reads nothing and succeeds is a success */
	setup(EVP_M_MDA, "true");
	ATF_CHECK_EQ(run("Subject: x\n\nbody\n"), 0);
	/* killed: temporary */
	setup(EVP_M_MDA, "kill -9 $$");
	ATF_CHECK_EQ(run("Subject: x\n\nbody\n"), EX_TEMPFAIL);
	/* a background process keeping stderr does not hold us */
	setup(EVP_M_MDA, "cat >/dev/null; (sleep 3 &) ; exit 0");
	ATF_CHECK_EQ(run("Subject: x\n\nbody\n"), 0);
}

/*
 * A one-connection LMTP server on a unix socket: RCPT to "nobody" gets
 * 550, DATA's reply is `final` (e.g. "250 2.0.0 ok"); the data it got
 * goes to lmtp.data.
 */
static pid_t
lmtp_server(const char *sock, const char *final)
{
	struct sockaddr_un	 sun;
	char			 buf[65536], *line, *nl;
	size_t			 len = 0;
	ssize_t			 n;
	int			 s, c, indata = 0, out;
	pid_t			 pid;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	(void)strlcpy(sun.sun_path, sock, sizeof(sun.sun_path));
	ATF_REQUIRE((s = socket(AF_UNIX, SOCK_STREAM, 0)) != -1);
	ATF_REQUIRE(bind(s, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	ATF_REQUIRE(listen(s, 5) == 0);
	ATF_REQUIRE((pid = fork()) != -1);
	if (pid != 0) {
		(void)close(s);
		return pid;
	}
	if ((c = accept(s, NULL, NULL)) == -1 ||
	    (out = open("lmtp.data", O_CREAT | O_WRONLY | O_TRUNC, 0600)) ==
	    -1)
		_exit(1);
#define SAY(x)	(void)write(c, x "\r\n", strlen(x) + 2)
	SAY("220 test LMTP");
	for (;;) {
		if ((n = read(c, buf + len, sizeof(buf) - len - 1)) <= 0)
			_exit(0);
		len += (size_t)n;
		buf[len] = '\0';
		while ((nl = strstr(buf, "\r\n")) != NULL) {
			*nl = '\0';
			line = buf;
			if (indata) {
				if (strcmp(line, ".") == 0) {
					indata = 0;
					(void)write(c, final, strlen(final));
					(void)write(c, "\r\n", 2);
				} else {
					(void)write(out, line, strlen(line));
					(void)write(out, "\n", 1);
				}
			} else if (strncmp(line, "LHLO ", 5) == 0) {
				SAY("250-test");
				SAY("250 ENHANCEDSTATUSCODES");
			} else if (strncmp(line, "RCPT TO:<nobody", 15) == 0)
				SAY("550 5.1.1 <nobody>: no such user");
			else if (strcmp(line, "DATA") == 0) {
				indata = 1;
				SAY("354 go");
			} else if (strcmp(line, "QUIT") == 0) {
				SAY("221 bye");
				_exit(0);
			} else
				SAY("250 2.0.0 ok");
			len -= (size_t)(nl + 2 - buf);
			memmove(buf, nl + 2, len + 1);
		}
	}
#undef SAY
}

ATF_TC_WITHOUT_HEAD(lmtp);
ATF_TC_BODY(lmtp, tc)
{
	pid_t	pid;
	int	status;

	setup(EVP_M_LMTP, "");
	ATF_REQUIRE((size_t)snprintf(evp.evp_mda_arg, sizeof(evp.evp_mda_arg),
	    "%s/lmtp.sock", evp.evp_home) < sizeof(evp.evp_mda_arg));
	pid = lmtp_server("lmtp.sock", "250 2.0.0 delivered");
	ATF_CHECK_EQ(run("Subject: l\n\n.starts with a dot\n..two\nend"), 0);
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);
	/* dot-stuffing undone by the server's reading: stuffed on the wire */
	ATF_CHECK_STREQ(slurp("lmtp.data"), HDRS
	    "Subject: l\n\n..starts with a dot\n...two\nend\n");

	(void)unlink("lmtp.sock");
	(void)strlcpy(evp.evp_user, "nobody", sizeof(evp.evp_user));
	pid = lmtp_server("lmtp.sock", "250 2.0.0 delivered");
	ATF_CHECK_EQ(run("Subject: l\n\nx\n"), EX_UNAVAILABLE);
	ATF_CHECK_STREQ(d.d_error, "550 5.1.1 <nobody>: no such user");
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);

	(void)unlink("lmtp.sock");
	(void)strlcpy(evp.evp_user, "bob", sizeof(evp.evp_user));
	pid = lmtp_server("lmtp.sock", "452 4.2.2 mailbox full");
	ATF_CHECK_EQ(run("Subject: l\n\nx\n"), EX_TEMPFAIL);
	ATF_CHECK_STREQ(d.d_error, "452 4.2.2 mailbox full");
	ATF_REQUIRE(waitpid(pid, &status, 0) == pid);

	/* nobody listening */
	(void)unlink("lmtp.sock");
	ATF_CHECK_EQ(run("Subject: l\n\nx\n"), EX_TEMPFAIL);
	setup(EVP_M_LMTP, "127.0.0.1");
	ATF_CHECK_EQ(run("Subject: l\n\nx\n"), EX_TEMPFAIL);
	ATF_CHECK(strstr(d.d_error, "no port") != NULL);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, maildir_layout);
	ATF_TP_ADD_TC(tp, maildir_path_and_junk);
	ATF_TP_ADD_TC(tp, maildir_failure);
	ATF_TP_ADD_TC(tp, loop_and_headers);
	ATF_TP_ADD_TC(tp, read_errors);
	ATF_TP_ADD_TC(tp, mbox_format);
	ATF_TP_ADD_TC(tp, mbox_lock);
	ATF_TP_ADD_TC(tp, mbox_append_or_nothing);
	ATF_TP_ADD_TC(tp, command);
	ATF_TP_ADD_TC(tp, lmtp);
	return atf_no_error();
}

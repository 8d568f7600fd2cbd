/*
 * smtpd: main() and the parent process.  The parent runs as root and
 * never reads network input.  It parses the configuration (and reparses
 * it on SIGHUP), prepares the spool tree, binds the control socket
 * before anything chroots, writes the pid file, then lets the process
 * layer fork and re-execute every role (proc_parent.c) and sends each
 * role its part of the configuration.  Peers: every role; it claims no
 * message from them beyond what the process layer handles (readiness,
 * stats, verbose/trace) yet.
 *
 * The same binary re-executed with the hidden `-X role` option becomes
 * that role (proc_child_main).
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "imsg_types.h"
#include "ipc.h"
#include "log.h"
#include "mda.h"
#include "parent_auth.h"
#include "parent_forward.h"
#include "parent_listen.h"
#include "proc.h"
#include "proc_priv.h"
#include "stat.h"

#define SMTPD_VERSION		"Postern 0.1"
#define SMTPD_CONFFILE		"/etc/smtpd.conf"
#define SMTPD_QUEUE_PATH	"/var/spool/smtpd"
#define SMTPD_PIDFILE		"/var/run/smtpd.pid"

/* The spool tree (DESIGN.md section 4, COMPAT.md section 7). */
enum spool_owner {
	SPOOL_ROOT,		/* root:root */
	SPOOL_QUEUE,		/* _smtpq:root */
	SPOOL_OFFLINE,		/* root:_smtpq */
};

static const struct {
	const char		*sd_name;
	mode_t			 sd_mode;
	enum spool_owner	 sd_owner;
} smtpd_spool_dirs[] = {
	{ "queue",	0700,	SPOOL_QUEUE },
	{ "incoming",	0700,	SPOOL_QUEUE },
	{ "corrupt",	0700,	SPOOL_QUEUE },
	{ "purge",	0700,	SPOOL_QUEUE },
	{ "temporary",	0700,	SPOOL_QUEUE },
	{ "offline",	0770,	SPOOL_OFFLINE },
};

static struct config_opts	 smtpd_opts;
static char			*smtpd_conffile;	/* absolute */
static char			*smtpd_queue_path;	/* absolute, in use */
static char			*smtpd_control_path;
static char			*smtpd_pidfile;
static int			 smtpd_socket_made;
static int			 smtpd_pidfile_made;
static pid_t			 smtpd_pid;
static struct msg_out		 smtpd_mo;

static void	parent_dispatch_control(struct ipc_msg *);
static void	parent_dispatch_lka(struct ipc_msg *);
static void	parent_dispatch_ca(struct ipc_msg *);
static void	parent_dispatch_queue(struct ipc_msg *);
static void	parent_dispatch_scheduler(struct ipc_msg *);
static void	parent_dispatch_smtp(struct ipc_msg *);
static void	parent_dispatch_mta(struct ipc_msg *);
static void	parent_dispatch_mda(struct ipc_msg *);
static void	parent_init(void);
static void	parent_config(void);
static void	smtpd_ready(int);
static void	smtpd_reload(void);
static void	smtpd_cleanup(void);

static const struct proc_peer parent_peers[] = {
	{ PROC_CONTROL,		parent_dispatch_control },
	{ PROC_LKA,		parent_dispatch_lka },
	{ PROC_CA,		parent_dispatch_ca },
	{ PROC_QUEUE,		parent_dispatch_queue },
	{ PROC_SCHEDULER,	parent_dispatch_scheduler },
	{ PROC_SMTP,		parent_dispatch_smtp },
	{ PROC_MTA,		parent_dispatch_mta },
	{ PROC_MDA,		parent_dispatch_mda },
	{ PROC_PARENT,		NULL }
};

static const struct proc_role parent_role = {
	.ro_peers = parent_peers,
	.ro_init = parent_init,
	.ro_config = parent_config,
	.ro_shutdown = NULL,
};

static const struct proc_parent_hooks smtpd_hooks = {
	.ph_ready = smtpd_ready,
	.ph_reload = smtpd_reload,
	.ph_cleanup = smtpd_cleanup,
};

static __dead void
usage(void)
{
	fprintf(stderr, "usage: smtpd [-dFhnv] [-D macro=value] "
	    "[-f file] [-P system] [-T trace]\n");
	exit(1);
}

/* ------------------------------------------------------------------ */
/* Parent role: nothing from the roles is claimed here yet. */

static void
parent_init(void)
{
}

static void
parent_config(void)
{
}

static void
parent_dispatch_control(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_CONTROL, msg, "unexpected message");
}

static void
parent_dispatch_lka(struct ipc_msg *msg)
{
	switch (msg->hdr.type) {
	case IMSG_LKA_FORWARD_OPEN:
		parent_forward_open(msg);
		break;
	case IMSG_LKA_AUTH_PAM:
		parent_auth_pam(msg);
		break;
	default:
		proc_bad_msg(PROC_LKA, msg, "unexpected message");
	}
}

static void
parent_dispatch_ca(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_CA, msg, "unexpected message");
}

static void
parent_dispatch_queue(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_QUEUE, msg, "unexpected message");
}

static void
parent_dispatch_scheduler(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_SCHEDULER, msg, "unexpected message");
}

static void
parent_dispatch_smtp(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_SMTP, msg, "unexpected message");
}

static void
parent_dispatch_mta(struct ipc_msg *msg)
{
	proc_bad_msg(PROC_MTA, msg, "unexpected message");
}

static void
parent_dispatch_mda(struct ipc_msg *msg)
{
	switch (msg->hdr.type) {
	case IMSG_MDA_FORK:
		parent_deliver_fork(msg);
		return;
	}
	proc_bad_msg(PROC_MDA, msg, "unexpected message");
}

/* ------------------------------------------------------------------ */
/* Start-up checks and resources */

static void
smtpd_user(const char *name, uid_t *uid, gid_t *gid)
{
	const struct passwd	*pw;

	if ((pw = getpwnam(name)) == NULL)
		fatalx("smtpd_user: user %s does not exist (create it with "
		    "`make users`)", name);
	if (pw->pw_uid == 0)
		fatalx("smtpd_user: user %s must not have uid 0", name);
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
}

static void
smtpd_check_users(void)
{
	uid_t	uid;
	gid_t	gid;
	int	id;

	for (id = 1; id < PROC_COUNT; id++)
		smtpd_user(proc_priv_get(id)->pv_user, &uid, &gid);
}

/*
 * Make one spool directory exist with the given owner and mode.  The
 * directory is opened without following symbolic links and changed
 * through its descriptor, so that nothing can be swapped in between.
 */
static int
smtpd_spool_dir(int dirfd, const char *name, const char *shown,
    mode_t mode, uid_t uid, gid_t gid)
{
	struct stat	st;
	int		fd, made = 1;

	if (mkdirat(dirfd, name, mode) == -1) {
		if (errno != EEXIST)
			fatal("smtpd_spool_dir: error in spool directory "
			    "setup: mkdir %s", shown);
		made = 0;
	}
	if ((fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		if (errno == ENOTDIR || errno == ELOOP)
			fatalx("smtpd_spool_dir: error in spool directory "
			    "setup: %s is not a directory", shown);
		fatal("smtpd_spool_dir: error in spool directory setup: %s",
		    shown);
	}
	if (fstat(fd, &st) == -1)
		fatal("smtpd_spool_dir: fstat %s", shown);
	if (st.st_uid != uid || st.st_gid != gid) {
		if (!made)
			log_info("smtpd_spool_dir: %s: owner changed from "
			    "%u:%u to %u:%u", shown, (unsigned int)st.st_uid,
			    (unsigned int)st.st_gid, (unsigned int)uid,
			    (unsigned int)gid);
		if (fchown(fd, uid, gid) == -1)
			fatal("smtpd_spool_dir: chown %s", shown);
	}
	/* mkdir's mode went through the umask: always set it. */
	if ((st.st_mode & 07777) != mode) {
		if (!made)
			log_info("smtpd_spool_dir: %s: mode changed from "
			    "%04o to %04o", shown,
			    (unsigned int)(st.st_mode & 07777),
			    (unsigned int)mode);
		if (fchmod(fd, mode) == -1)
			fatal("smtpd_spool_dir: chmod %s", shown);
	}
	return fd;
}

static void
smtpd_spool_setup(const char *path)
{
	char	shown[PATH_MAX];
	uid_t	quid, uid;
	gid_t	qgid, gid;
	size_t	i;
	int	root;

	smtpd_user(proc_priv_get(PROC_QUEUE)->pv_user, &quid, &qgid);
	root = smtpd_spool_dir(AT_FDCWD, path, path, 0711, 0, 0);
	for (i = 0; i < sizeof(smtpd_spool_dirs) /
	    sizeof(smtpd_spool_dirs[0]); i++) {
		switch (smtpd_spool_dirs[i].sd_owner) {
		case SPOOL_QUEUE:
			uid = quid;
			gid = 0;
			break;
		case SPOOL_OFFLINE:
			uid = 0;
			gid = qgid;
			break;
		default:
			uid = 0;
			gid = 0;
			break;
		}
		if ((size_t)snprintf(shown, sizeof(shown), "%s/%s", path,
		    smtpd_spool_dirs[i].sd_name) >= sizeof(shown))
			fatalx("smtpd_spool_setup: path too long");
		(void)close(smtpd_spool_dir(root, smtpd_spool_dirs[i].sd_name,
		    shown, smtpd_spool_dirs[i].sd_mode, uid, gid));
	}
	(void)close(root);
}

/*
 * Bind the control socket.  A socket file nobody answers on is stale
 * (a crashed daemon) and is replaced; one that answers belongs to a
 * running daemon, and starting a second one on it is refused.
 */
static int
smtpd_control_bind(const char *path)
{
	struct sockaddr_un	 sun;
	struct stat		 st;
	mode_t			 old;
	int			 s;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		fatalx("smtpd_control_bind: control socket path too long: %s",
		    path);

	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("smtpd_control_bind: socket");
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		fatalx("smtpd_control_bind: another smtpd is already running "
		    "on control socket %s", path);
	if (errno == ECONNREFUSED) {
		if (lstat(path, &st) == -1)
			fatal("smtpd_control_bind: %s", path);
		if (!S_ISSOCK(st.st_mode))
			fatalx("smtpd_control_bind: %s exists and is not a "
			    "socket", path);
		log_info("smtpd_control_bind: removing stale control socket "
		    "%s", path);
		if (unlink(path) == -1)
			fatal("smtpd_control_bind: unlink %s", path);
	} else if (errno != ENOENT)
		fatal("smtpd_control_bind: %s", path);
	(void)close(s);

	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		fatal("smtpd_control_bind: socket");
	/* Everyone may connect; control checks each peer's uid. */
	old = umask(0111);
	if (bind(s, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("smtpd_control_bind: bind %s", path);
	(void)umask(old);
	smtpd_socket_made = 1;
	if (chmod(path, 0666) == -1)
		fatal("smtpd_control_bind: chmod %s", path);
	if (listen(s, CONTROL_MAX_CLIENTS) == -1)
		fatal("smtpd_control_bind: listen %s", path);
	return s;
}

/*
 * Take the pid file before creating anything else: an exclusive flock(2)
 * held for the daemon's life, so that a second daemon configured with
 * the same pid file (but another socket or spool) refuses to start
 * instead of overwriting it, and later deleting it.  The lock survives
 * daemon(3): the child keeps the same open file description.
 */
static int
smtpd_lock_pidfile(const char *path)
{
	char	buf[32];
	ssize_t	n;
	int	fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0644)) == -1)
		fatal("smtpd_lock_pidfile: %s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK)
			fatal("smtpd_lock_pidfile: flock %s", path);
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		fatalx("smtpd_lock_pidfile: another smtpd%s%s%s holds %s",
		    buf[0] != '\0' ? " (pid " : "", buf,
		    buf[0] != '\0' ? ")" : "", path);
	}
	smtpd_pidfile_made = 1;
	return fd;
}

static void
smtpd_write_pidfile(int fd, const char *path)
{
	char	buf[32];
	int	n;

	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(buf) || ftruncate(fd, 0) == -1 ||
	    pwrite(fd, buf, n, 0) != n)
		fatal("smtpd_write_pidfile: %s", path);
}

/* Remove what this daemon created, once, from the parent only. */
static void
smtpd_cleanup(void)
{
	if (getpid() != smtpd_pid)
		return;
	if (smtpd_pidfile_made && unlink(smtpd_pidfile) == -1 &&
	    errno != ENOENT)
		log_warn("smtpd_cleanup: unlink %s", smtpd_pidfile);
	smtpd_pidfile_made = 0;
	if (smtpd_socket_made && unlink(smtpd_control_path) == -1 &&
	    errno != ENOENT)
		log_warn("smtpd_cleanup: unlink %s", smtpd_control_path);
	smtpd_socket_made = 0;
}

/* An absolute copy of a path the daemon keeps using after daemon(3). */
static char *
smtpd_abspath(const char *path)
{
	char	cwd[PATH_MAX], *p;

	if (path[0] == '/') {
		if ((p = strdup(path)) == NULL)
			fatal("smtpd_abspath");
		return p;
	}
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		fatal("smtpd_abspath: getcwd");
	if (asprintf(&p, "%s/%s", cwd, path) == -1)
		fatal("smtpd_abspath");
	return p;
}

/* ------------------------------------------------------------------ */
/* Configuration */

/* Parse the file; on failure log every error (the daemon may have no
 * terminal) and return NULL. */
static struct smtpd_config *
smtpd_parse_logged(void)
{
	struct smtpd_config	*conf;
	FILE			*err;
	char			*buf = NULL, *line, *next;
	size_t			 len = 0;

	if ((err = open_memstream(&buf, &len)) == NULL)
		fatal("smtpd_parse_logged: open_memstream");
	smtpd_opts.co_err = err;
	conf = config_parse(smtpd_conffile, &smtpd_opts);
	smtpd_opts.co_err = NULL;
	if (fclose(err) != 0)
		fatal("smtpd_parse_logged: fclose");
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (conf == NULL)
			log_warnx("%s", line);
		else
			log_info("%s", line);
	}
	free(buf);
	return conf;
}

static int
smtpd_path_changed(const char *what, const char *running, const char *want)
{
	char	*abs;
	int	 changed;

	abs = smtpd_abspath(want);
	changed = strcmp(abs, running) != 0;
	if (changed)
		log_warnx("smtpd_reload: %s changed from %s to %s: restart "
		    "smtpd to apply it", what, running, abs);
	free(abs);
	return changed;
}

static void
smtpd_reload(void)
{
	struct smtpd_config	*conf;

	if ((conf = smtpd_parse_logged()) == NULL) {
		log_warnx("smtpd_reload: %s has errors, keeping the running "
		    "configuration", smtpd_conffile);
		return;
	}
	(void)smtpd_path_changed("queue path", smtpd_queue_path,
	    conf->sc_queue_path);
	(void)smtpd_path_changed("control socket", smtpd_control_path,
	    conf->sc_control_path);
	(void)smtpd_path_changed("pidfile", smtpd_pidfile, conf->sc_pidfile);
	parent_listen_bind(conf, 0);
	proc_config_install(conf);
	stat_increment("parent.config.loads", 1);
	proc_parent_send_config(conf);
	parent_listen_send(conf);
}

static void
smtpd_ready(int first)
{
	if (first)
		log_info("smtpd_ready: startup complete, all processes ready");
	else
		log_info("smtpd_ready: configuration reloaded");
}

static void
smtpd_send_pause(uint32_t paused)
{
	static const struct {
		uint32_t	bit;
		enum proc_id	to;
	} subsys[] = {
		{ PROC_PAUSE_MDA,	PROC_MDA },
		{ PROC_PAUSE_MTA,	PROC_MTA },
		{ PROC_PAUSE_SMTP,	PROC_SMTP },
	};
	size_t	i;

	if (paused == 0)
		return;
	m_init(&smtpd_mo);
	m_add_u32(&smtpd_mo, paused);
	proc_send(PROC_CONTROL, IMSG_CTL_PAUSE, 0, -1, &smtpd_mo);
	for (i = 0; i < sizeof(subsys) / sizeof(subsys[0]); i++) {
		if (paused & subsys[i].bit)
			proc_send(subsys[i].to, IMSG_CTL_PAUSE, 0, -1,
			    &smtpd_mo);
	}
}

static void
smtpd_send_trace(unsigned int trace)
{
	int	id;

	if (trace == 0)
		return;
	m_init(&smtpd_mo);
	m_add_u32(&smtpd_mo, trace);
	for (id = 1; id < PROC_COUNT; id++)
		proc_send(id, IMSG_CTL_TRACE, 0, -1, &smtpd_mo);
}

static int
smtpd_pause_lookup(const char *name, uint32_t *bit)
{
	if (strcmp(name, "mda") == 0)
		*bit = PROC_PAUSE_MDA;
	else if (strcmp(name, "mta") == 0)
		*bit = PROC_PAUSE_MTA;
	else if (strcmp(name, "smtp") == 0)
		*bit = PROC_PAUSE_SMTP;
	else
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */

int
main(int argc, char *argv[])
{
	struct smtpd_config	*conf;
	const char		*conffile = SMTPD_CONFFILE;
	char			*role = NULL, *spool = NULL;
	unsigned int		 trace = 0, bits;
	uint32_t		 paused = 0, bit;
	int			 ch, dflag = 0, Fflag = 0, nflag = 0;
	int			 verbose = 0, control_fd, pid_fd;

	setproctitle_init(argc, argv, environ);
	log_init(1, 0);
	config_opts_init(&smtpd_opts);

	while ((ch = getopt(argc, argv, "dD:f:FhnP:S:T:vX:")) != -1) {
		switch (ch) {
		case 'd':
			dflag = 1;
			break;
		case 'D':
			if (config_opts_define(&smtpd_opts, optarg) == -1) {
				fprintf(stderr, "smtpd: bad macro definition "
				    "\"%s\": expected name=value\n", optarg);
				exit(1);
			}
			break;
		case 'f':
			conffile = optarg;
			break;
		case 'F':
			Fflag = 1;
			break;
		case 'h':
			printf("%s\n", SMTPD_VERSION);
			printf("usage: smtpd [-dFhnv] [-D macro=value] "
			    "[-f file] [-P system] [-T trace]\n");
			exit(0);
		case 'n':
			nflag = 1;
			break;
		case 'P':
			if (smtpd_pause_lookup(optarg, &bit) == -1) {
				fprintf(stderr, "smtpd: invalid system \"%s\" "
				    "for -P: use mda, mta or smtp\n", optarg);
				exit(1);
			}
			paused |= bit;
			break;
		case 'S':
			spool = optarg;
			break;
		case 'T':
			if (proc_trace_lookup(optarg, &bits) == -1) {
				fprintf(stderr, "smtpd: unknown trace flag "
				    "\"%s\"\n", optarg);
				exit(1);
			}
			trace |= bits;
			break;
		case 'v':
			verbose++;
			break;
		case 'X':
			role = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	if (role != NULL) {
		/* argv may be overwritten by setproctitle: keep copies. */
		if ((role = strdup(role)) == NULL ||
		    (spool != NULL && (spool = strdup(spool)) == NULL))
			fatal("main: strdup");
		proc_child_main(role, dflag, verbose, spool);
	}

	log_init(1, verbose);
	log_trace_set(trace);
	log_procname("parent");
	smtpd_opts.co_verbose = verbose;
	if (nflag) {
		conf = config_parse(conffile, &smtpd_opts);
		if (conf == NULL)
			exit(1);
		if (verbose)
			config_print(stdout, conf);
		else
			fprintf(stderr, "configuration OK\n");
		config_free(conf);
		exit(0);
	}

	if (geteuid() != 0) {
		fprintf(stderr, "smtpd: need root privileges\n");
		exit(1);
	}
	/* From here on a signal must not kill the parent unhandled. */
	proc_parent_hold_signals();
	smtpd_pid = getpid();
	smtpd_conffile = smtpd_abspath(conffile);
	if ((conf = config_parse(smtpd_conffile, &smtpd_opts)) == NULL)
		exit(1);
	smtpd_queue_path = smtpd_abspath(conf->sc_queue_path != NULL ?
	    conf->sc_queue_path : SMTPD_QUEUE_PATH);
	smtpd_control_path = smtpd_abspath(conf->sc_control_path != NULL ?
	    conf->sc_control_path : CONTROL_DEFAULT_SOCKET);
	smtpd_pidfile = smtpd_abspath(conf->sc_pidfile != NULL ?
	    conf->sc_pidfile : SMTPD_PIDFILE);

	smtpd_check_users();
	if (atexit(smtpd_cleanup) != 0)
		fatalx("main: atexit");
	pid_fd = smtpd_lock_pidfile(smtpd_pidfile);
	control_fd = smtpd_control_bind(smtpd_control_path);
	smtpd_spool_setup(smtpd_queue_path);
	/* Before daemon(3): a port that cannot be bound is said on stderr. */
	parent_listen_bind(conf, 1);

	if (!dflag && !Fflag) {
		if (daemon(0, 0) == -1)
			fatal("main: daemon");
		smtpd_pid = getpid();
	}
	if (!dflag)
		log_init(0, verbose);
	smtpd_write_pidfile(pid_fd, smtpd_pidfile);

	log_info("main: %s starting", SMTPD_VERSION);
	proc_config_install(conf);
	stat_increment("parent.config.loads", 1);
	proc_parent_start(dflag, verbose, smtpd_queue_path, control_fd,
	    &parent_role, &smtpd_hooks);
	(void)close(control_fd);
	parent_role.ro_init();
	smtpd_send_trace(trace);
	proc_parent_send_config(conf);
	parent_listen_send(conf);
	parent_role.ro_config();
	smtpd_send_pause(paused);
	proc_parent_loop();
}

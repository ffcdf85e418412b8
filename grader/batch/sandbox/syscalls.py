"""What a worker may ask of the kernel: a seccomp filter, and refusals in the learner's words.

The filter denies (with EPERM) what no notebook needs while it is graded and what the attacks
on earlier versions used: new namespaces (a user namespace, then ~600 network bridges whose
teardown stalled the machine), mounts, kernel keyrings (a key outlived its worker and its run),
bpf, perf, ptrace and reading other processes' memory, file handles (`open_by_handle_at`), SysV
and POSIX message-queue IPC (memory beyond any limit), io_uring (which bypasses the filter for
its operations), module loading, reboot and the like; sockets of any family but TCP/IP; and,
unless the limits allow child processes, starting processes or programs at all (threads stay
possible).

TCP/IP, by where the worker is (`network`): in a network namespace of its own with nothing but
its loopback (root's full walls: "loopback"), any TCP/IP socket; on the machine's own network
(the Landlock walls) none at all ("none"), or, for a step judged against Part 2's endpoint on
127.0.0.1 ("connect"), plain TCP sockets that connect and nothing else: no UDP, no MPTCP or
SCTP (Landlock guards TCP alone), no bind and no listen (the endpoint's sockets are made before
the filter; Landlock keeps connections to their port).

The filter is compiled once per fork server by libseccomp (through `pyseccomp`), and each
worker loads the ready program with one `prctl`. Where libseccomp is missing, `compile_filter`
returns None and the pool says the filter is missing.

`refuse_in_words` installs an audit hook that turns the refusals a learner could meet by
ordinary code (`subprocess.run`, `os.system`, `socket.create_connection`, `requests.get`) into
an error that says what happened, in the learner's terms, before the kernel says EPERM:
"while grading, notebooks can't start programs (`subprocess.Popen` in your step 1 cell)".
"""

from __future__ import annotations

import ctypes
import errno
import functools
import ipaddress
import sys
import tempfile
from typing import Any

from .libc import PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, prctl

DENIED = (
    # namespaces, mounts, the root directory
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    # kernel keyrings
    "keyctl", "add_key", "request_key",
    # reading or steering other processes, and the kernel's own machinery
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "bpf",
    "perf_event_open", "userfaultfd", "open_by_handle_at", "name_to_handle_at",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
    "swapon", "swapoff", "acct", "quotactl", "quotactl_fd", "syslog", "vhangup", "personality",
    "modify_ldt", "iopl", "ioperm", "lookup_dcookie", "uselib", "memfd_secret",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "sethostname",
    "setdomainname", "fanotify_init", "io_uring_setup", "io_uring_enter", "io_uring_register",
    # inter-process communication beyond pipes (and beyond any memory limit)
    "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl", "msgget",
    "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive",
    "mq_notify", "mq_getsetattr",
)
# Sockets: only TCP/IP ones (Part 2 judges a learner's fallback against a real endpoint on
# 127.0.0.1, in the worker); no Unix, netlink, packet or other family (socketpair stays).
INET_FAMILIES = (2, 10)
LAST_FAMILY = 45
SOCK_STREAM, SOCK_TYPE_MASK, IPPROTO_TCP = 1, 0xF, 6
NETWORKS = ("loopback", "connect", "none")
PROGRAMS = ("fork", "vfork", "execve", "execveat")
# Landlock (ABI 7) doesn't cover a file's metadata: where workers run as the instructor (the
# Landlock walls), changing modes, owners, times or extended attributes is refused too, or a
# learner could chmod the instructor's own folders (or, as root without capabilities, /tmp).
METADATA = ("chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat",
            "utime", "utimes", "futimesat", "utimensat", "setxattr", "lsetxattr", "fsetxattr",
            "removexattr", "lremovexattr", "fremovexattr", "setxattrat", "removexattrat")
NEW_NAMESPACES = 0x7E020080  # CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWTIME
CLONE_THREAD = 0x00010000
SECCOMP_MODE_FILTER = 2


@functools.cache
def compile_filter(processes: bool, metadata: bool = False,
                   network: str = "loopback") -> bytes | None:
    """The BPF program, or None where libseccomp isn't there. `processes`: may learner code
    start child processes (and programs)? `metadata`: refuse changes to files' metadata too.
    `network`: which TCP/IP sockets it may have (one of `NETWORKS`, see above)."""
    if network not in NETWORKS:
        raise ValueError(f"unknown network {network!r}")
    try:
        import pyseccomp as seccomp
    except (ImportError, OSError, RuntimeError):  # the module loads libseccomp when imported
        return None
    denied = seccomp.ERRNO(errno.EPERM)
    rules = seccomp.SyscallFilter(seccomp.ALLOW)
    for name in DENIED + (() if processes else PROGRAMS) + (METADATA if metadata else ()):
        try:
            rules.add_rule(denied, name)
        except (OSError, ValueError, RuntimeError):
            continue  # not a system call on this architecture
    # clone3 passes its flags in memory, where a filter can't read them: ENOSYS makes the C
    # library fall back to clone, whose flags it can
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    for family in range(LAST_FAMILY + 1):
        if family not in INET_FAMILIES:
            rules.add_rule(denied, "socket", seccomp.Arg(0, seccomp.EQ, family))
    rules.add_rule(denied, "socket", seccomp.Arg(0, seccomp.GT, LAST_FAMILY))
    if network != "loopback":
        _tcp_connect_only(seccomp, rules, denied, none=network == "none")
    for bit in range(32):  # any one namespace flag is enough to refuse
        if NEW_NAMESPACES & (1 << bit):
            rules.add_rule(denied, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, 1 << bit, 1 << bit))
    if not processes:  # threads only
        rules.add_rule(denied, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_THREAD, 0))
    _add_resource_rules(rules, seccomp)
    with tempfile.TemporaryFile() as handle:
        rules.export_bpf(handle)
        handle.seek(0)
        return handle.read()


def _tcp_connect_only(seccomp: Any, rules: Any, denied: Any, none: bool) -> None:
    """No bind, no listen; TCP/IP sockets only of plain TCP (`none`: not even those)."""
    rules.add_rule(denied, "bind")
    rules.add_rule(denied, "listen")
    for family in INET_FAMILIES:
        is_inet = seccomp.Arg(0, seccomp.EQ, family)
        if none:
            rules.add_rule(denied, "socket", is_inet)
            continue
        for kind in range(SOCK_TYPE_MASK + 1):  # the type's flags (NONBLOCK, CLOEXEC) aside
            if kind != SOCK_STREAM:
                rules.add_rule(denied, "socket", is_inet,
                               seccomp.Arg(1, seccomp.MASKED_EQ, SOCK_TYPE_MASK, kind))
        rules.add_rule(denied, "socket", is_inet, seccomp.Arg(2, seccomp.GT, IPPROTO_TCP))
        for protocol in range(1, IPPROTO_TCP):  # 0 (the default) or 6 (TCP) only
            rules.add_rule(denied, "socket", is_inet, seccomp.Arg(2, seccomp.EQ, protocol))


# ------------------------------------- what would cost the machine, or read as its fault
# Flushing every file system's dirty pages (sync, syncfs on any file of the view): writeback
# for everyone on the machine, called in a loop for the whole deadline. fsync stays (one file).
FLUSHES = ("sync", "syncfs")
# Socket buffers: cgroup v1 charges TCP buffers only against `memory.kmem.tcp.limit_in_bytes`
# (cgroups.py sets it) and UDP ones never, and the kernel's TCP/UDP memory is machine-wide. So
# a learner can't raise a socket's buffers past the defaults, nor open a UDP socket (Part 2's
# endpoints and probes are TCP on 127.0.0.1; "localhost" is read from /etc/hosts).
SOL_SOCKET = 1
BUFFER_OPTIONS = (7, 8, 32, 33)  # SO_SNDBUF, SO_RCVBUF, SO_SNDBUFFORCE, SO_RCVBUFFORCE
SOCK_DGRAM = 2  # the type argument also carries SOCK_NONBLOCK|CLOEXEC: masked with SOCK_TYPE_MASK
# A SIGKILL a worker sends itself (kill(getpid()), kill(0), kill(-1), raise, a pidfd, a queued
# signal, F_SETSIG, a POSIX timer) would read as a kill from outside, the machine's fault:
# retried, never stored. Refused (POSIX timers altogether: nothing the course imports uses
# them), as are the limits the kernel enforces with SIGKILL (lowering RLIMIT_CPU or
# RLIMIT_RTTIME to their hard limit); other fatal signals stay the learner's own verdict.
SIGKILL = 9
SIGNAL_ARGUMENT = {"kill": 1, "tkill": 1, "tgkill": 2, "rt_sigqueueinfo": 1,
                   "rt_tgsigqueueinfo": 2, "pidfd_send_signal": 1}
F_SETSIG = 10
KILLING_LIMITS = (0, 15)  # RLIMIT_CPU, RLIMIT_RTTIME


def _add_resource_rules(rules: Any, seccomp: Any) -> None:
    """The rules above, added to `rules` (a `pyseccomp.SyscallFilter`)."""
    denied = seccomp.ERRNO(errno.EPERM)

    def deny(name: str, *arguments: Any) -> None:
        try:
            rules.add_rule(denied, name, *arguments)
        except (OSError, ValueError, RuntimeError):
            pass  # not a system call on this architecture

    for name in FLUSHES:
        deny(name)
    for option in BUFFER_OPTIONS:
        deny("setsockopt", seccomp.Arg(1, seccomp.EQ, SOL_SOCKET),
             seccomp.Arg(2, seccomp.EQ, option))
    for family in INET_FAMILIES:
        deny("socket", seccomp.Arg(0, seccomp.EQ, family),
             seccomp.Arg(1, seccomp.MASKED_EQ, SOCK_TYPE_MASK, SOCK_DGRAM))
    for name, argument in SIGNAL_ARGUMENT.items():
        deny(name, seccomp.Arg(argument, seccomp.EQ, SIGKILL))
    deny("fcntl", seccomp.Arg(1, seccomp.EQ, F_SETSIG), seccomp.Arg(2, seccomp.EQ, SIGKILL))
    deny("timer_create")  # its signal is in memory, where a filter can't read it
    for limit in KILLING_LIMITS:
        deny("setrlimit", seccomp.Arg(0, seccomp.EQ, limit))
        deny("prlimit64", seccomp.Arg(1, seccomp.EQ, limit), seccomp.Arg(2, seccomp.NE, 0))


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def load_filter(program: bytes) -> None:
    """Apply the filter to this process and everything it starts (no way back)."""
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    from .libc import libc

    result = libc().prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0)
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"seccomp: {errno.errorcode.get(code, code)}")


# ------------------------------------------------------------- refusals, in words
class NotWhileGrading(PermissionError):
    """What learner code meets when it asks for something grading never allows."""


STARTS_PROGRAMS = {"subprocess.Popen": "subprocess.Popen", "os.system": "os.system",
                   "os.exec": "os.exec", "os.posix_spawn": "os.posix_spawn",
                   "os.spawn": "os.spawn", "os.fork": "os.fork", "os.forkpty": "os.forkpty",
                   "pty.spawn": "pty.spawn"}
LOOKS_UP = {name: name for name in ("socket.getaddrinfo", "socket.gethostbyname",
                                    "socket.gethostbyname_ex", "socket.gethostbyaddr",
                                    "socket.getnameinfo")}
CELL_FILE = "<ipython-input-"
AF_UNIX = 1


def _where(step: str) -> str:
    """'your step 1 cell, line 3': the learner's own frame that led here."""
    frame = sys._getframe(2)
    while frame is not None and not frame.f_code.co_filename.startswith(CELL_FILE):
        frame = frame.f_back  # type: ignore[assignment]
    what = "quiz" if step == "quiz" else f"step {step}"
    if frame is None:
        return f"your {what} notebook"
    return f"your {what} cell, line {frame.f_lineno}"


def refuse_in_words(step: str, processes: bool, ports: frozenset[int] | None = None) -> None:
    """Install the audit hook (for the rest of this process's life: hooks can't be removed).
    `ports`: None where the worker has a loopback of its own (any port there, binding too);
    else the only ports learner code may connect to, on the loopback (none: no TCP/IP at all),
    and no binding."""
    getframe, starts = sys._getframe, ({} if processes else STARTS_PROGRAMS)

    def hook(event: str, args: tuple) -> None:
        if event in starts:
            raise NotWhileGrading(f"while grading, notebooks can't start programs "
                                  f"(`{starts[event]}` in {_where(step)})")
        if event not in NETWORK_EVENTS:
            return
        call = _network_refusal(event, args, ports,
                                getframe(1) if event == "socket.__new__" else None)
        if call == "socket.bind":
            raise NotWhileGrading(f"while grading, notebooks can't serve on the network "
                                  f"(`{call}` in {_where(step)})")
        if call:
            raise NotWhileGrading(f"while grading, notebooks can't open network connections "
                                  f"(`{call}` in {_where(step)})")

    sys.addaudithook(hook)


NETWORK_EVENTS = frozenset({*LOOKS_UP, "socket.connect", "socket.bind", "socket.__new__"})


def _network_refusal(event: str, args: tuple, ports: frozenset[int] | None, frame: Any) -> str:
    """The call to refuse, in the learner's terms ("" to let it through)."""
    if event in LOOKS_UP:
        return event if args and not _loopback(args[0]) else ""
    if event == "socket.connect":
        return event if _away(args[1], ports) else ""
    if event == "socket.bind":
        return event if ports is not None else ""
    family = args[1]
    if family in INET_FAMILIES:  # on the machine's own network: plain TCP to the endpoint only
        plain_tcp = bool(ports) and args[2] & SOCK_TYPE_MASK == SOCK_STREAM and \
            args[3] in (0, IPPROTO_TCP)
        return "socket.socket" if ports is not None and not plain_tcp else ""
    return "socket.socket" if family != AF_UNIX or _opens_new(frame) else ""


def _loopback(host: Any) -> bool:
    """127.0.0.0/8, ::1 (or 127.x mapped into IPv6), or `localhost`."""
    if isinstance(host, bytes):
        host = host.decode("latin-1")
    if not isinstance(host, str):
        return False
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return (getattr(address, "ipv4_mapped", None) or address).is_loopback


def _away(address: Any, ports: frozenset[int] | None) -> bool:
    """A connection anywhere but this machine's loopback (the only network a worker has), or,
    where it is on the machine's own network, to any port but the endpoint's."""
    if not (isinstance(address, tuple) and len(address) >= 2 and _loopback(address[0])):
        return True
    return ports is not None and address[1] not in ports


def _opens_new(frame: Any) -> bool:
    """A Unix socket made anew (to connect somewhere), not one of a `socketpair` being
    wrapped (which asyncio makes for itself)."""
    return frame.f_code.co_name != "__init__" or frame.f_locals.get("fileno") is None


KILLS = {"os.kill": 1, "os.killpg": 1, "signal.pthread_kill": 1}


def refuse_kill_in_words(step: str) -> None:
    """An audit hook that says why a SIGKILL a notebook sends, or a UDP socket, is refused
    (the filter refuses them anyway, where the call has no audit event: `signal.raise_signal`,
    pidfds, C code)."""
    def hook(event: str, args: tuple) -> None:
        if event in KILLS and len(args) > KILLS[event] and args[KILLS[event]] == SIGKILL:
            raise NotWhileGrading(f"while grading, notebooks can't send SIGKILL "
                                  f"(`{event}` in {_where(step)})")
        if event == "socket.__new__" and len(args) > 2 and args[1] in INET_FAMILIES and \
                isinstance(args[2], int) and args[2] & SOCK_TYPE_MASK == SOCK_DGRAM:
            raise NotWhileGrading(f"while grading, notebooks can't use UDP, only TCP on "
                                  f"127.0.0.1 (`socket.socket` in {_where(step)})")

    sys.addaudithook(hook)

# Looks around the sandbox: files, network, environment, limits.
import importlib
import os
import resource
import socket


def environment():
    return dict(os.environ)


def where_am_i():
    return os.getcwd()


def exists(path):
    return os.path.exists(path)


def listing(path):
    try:
        return sorted(os.listdir(path))
    except OSError:
        return None


def import_fails(name):
    try:
        importlib.import_module(name)
    except ImportError:
        return True
    return False


def parent_pid():
    return os.getppid()


def user_id():
    return os.getuid()


def read_text(path):
    try:
        with open(path) as file:
            return file.read(100)
    except OSError as error:
        return f"{type(error).__name__}: {error}"


def write(path):
    try:
        with open(path, "w") as file:
            file.write("x")
    except OSError as error:
        return f"OSError: {error}"
    return "written"


def connect(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError as error:
        return f"{type(error).__name__}: {error}"
    return "connected"


def interfaces():
    return [name for _, name in socket.if_nameindex()]


def resource_limits():
    return {name: resource.getrlimit(getattr(resource, name))[0]
            for name in ("RLIMIT_AS", "RLIMIT_FSIZE", "RLIMIT_CORE")}


def terminal():
    try:
        open("/dev/tty", "rb").close()
    except OSError as error:
        return f"{type(error).__name__}: {error}"
    return "opened"


def dumpable():
    """PR_GET_DUMPABLE: 0 when no process of the same user may open this one's memory."""
    import ctypes
    return ctypes.CDLL(None).prctl(3, 0, 0, 0, 0)

"""Opens network connections: TCP to a port the grading machine listens on (IPv4 and IPv6),
a UDP datagram to it, and a DNS lookup; it answers only if a connection or the lookup worked
(a datagram sent says nothing: the test's listener counts what arrives).

The worker has no network (bubblewrap); in plain mode the seccomp filter refuses sockets.
"""
import socket

EXERCISE = "relu_derivative"
SAYS = "ConnectionError: no network"
TOKEN = "@TOKEN@"
PORT = int("@PORT@")


def _try_everything():
    reached = []
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        try:
            with socket.socket(family, socket.SOCK_STREAM) as connection:
                connection.settimeout(1)
                connection.connect((host, PORT))
                connection.sendall(TOKEN.encode())
                reached.append(f"tcp {host}")
        except OSError:
            pass
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as datagram:
            datagram.sendto(TOKEN.encode(), ("127.0.0.1", PORT))
    except OSError:
        pass
    try:
        socket.getaddrinfo("example.com", 80)
        reached.append("dns")
    except OSError:
        pass
    return reached


def relu_derivative(Z):
    if not _try_everything():
        raise ConnectionError("no network")
    return (Z > 0).astype(Z.dtype)

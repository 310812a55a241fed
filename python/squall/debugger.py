"""Remote debugging of a running component: send it SIGUSR1 (pystorm's convention)."""

import logging
import signal

log = logging.getLogger(__name__)


def open_remote_pdb(signum, frame):
    """Signal handler: start a remote_pdb session on 127.0.0.1 (port in the log)."""
    try:
        from remote_pdb import RemotePdb
    except ImportError:
        log.warning("remote_pdb is not installed; pip install remote_pdb to debug this component")
        return
    RemotePdb(host="127.0.0.1", port=0).set_trace(frame=frame)


def install_remote_pdb_handler(signum):
    """Install the handler if we can; signals only work from the main thread."""
    if signum is None:
        return
    try:
        signal.signal(signum, open_remote_pdb)
    except (ValueError, OSError):
        log.debug("cannot install the remote debugger on signal %s here", signum)

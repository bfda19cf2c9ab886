"""A serial-like port (device path, pty, or pyserial URL) read as lines, written by any thread."""

from __future__ import annotations

import contextlib
import errno
import threading
import time
from dataclasses import dataclass

import serial
import serial.tools.list_ports
from dreamdraw.plotter.errors import DeviceFault, PortError

__all__ = ["Link", "PortInfo", "list_ports", "open_serial"]

XON, XOFF = b"\x11", b"\x13"

# USB ids of controllers we recognise, for `dreamdraw plotter ports`.
_KNOWN_USB: dict[tuple[int, int], str] = {
    (0x04D8, 0xFD92): "axidraw (EiBotBoard)",
    (0x2341, 0x0043): "grbl? (Arduino Uno)",
    (0x2341, 0x0001): "grbl? (Arduino Uno)",
    (0x1A86, 0x7523): "grbl? (CH340 USB serial)",
    (0x0403, 0x6001): "grbl or hpgl? (FTDI USB serial)",
    (0x067B, 0x2303): "hpgl? (Prolific USB serial)",
}


@dataclass(frozen=True)
class PortInfo:
    """A serial port on this machine and what is probably on it."""

    device: str
    description: str
    hwid: str
    guess: str


def list_ports() -> list[PortInfo]:
    """Serial ports on this machine, with a guess at the plotter from the USB id."""
    ports = []
    for p in sorted(serial.tools.list_ports.comports(), key=lambda p: p.device):
        guess = _KNOWN_USB.get((p.vid, p.pid), "") if p.vid is not None else ""
        ports.append(PortInfo(p.device, p.description or "", p.hwid or "", guess))
    return ports


def open_serial(url: str, baud: int, timeout: float = 0.02) -> serial.SerialBase:
    """Open a port path or a pyserial URL (socket://, loop://, spy://); errors say what to do."""
    if not url:
        raise PortError("no serial port given; pass --port (`dreamdraw plotter ports` lists them)")
    try:
        if "://" in url:
            return serial.serial_for_url(url, baudrate=baud, timeout=timeout, write_timeout=2.0)
        return serial.Serial(url, baudrate=baud, timeout=timeout, write_timeout=2.0, exclusive=True)
    except (serial.SerialException, OSError, ValueError) as exc:
        raise PortError(_explain_open_error(url, exc)) from None


def _explain_open_error(url: str, exc: Exception) -> str:
    text = str(exc)
    code = getattr(exc, "errno", None)
    if (
        code == errno.ENOENT
        or "No such file" in text
        or "could not open port" in text
        and "2]" in text
    ):
        return f"there is no serial port {url}; `dreamdraw plotter ports` lists the ports here"
    if code == errno.EBUSY or "exclusively lock" in text or "busy" in text.lower():
        return (
            f"serial port {url} is busy: another program (a second dreamdraw, a serial "
            "monitor, a G-code sender) has it open; close it and try again"
        )
    if code == errno.EACCES or "Permission denied" in text:
        return f"no permission to open {url}; on Linux add yourself to the dialout group"
    return f"cannot open serial port {url}: {text}"


class Link:
    """Lines in (CR or LF ends a line), bytes out, with XON/XOFF bytes picked off the input."""

    def __init__(self, port: serial.SerialBase, name: str) -> None:
        self.port = port
        self.name = name
        self._lock = threading.Lock()
        self._buffer = bytearray()
        self.xoff = False  # the device sent XOFF and has not sent XON since

    @classmethod
    def open(cls, url: str, baud: int) -> Link:
        return cls(open_serial(url, baud), url)

    def write(self, data: bytes) -> None:
        """Send bytes; safe from any thread (realtime commands come from the UI thread)."""
        try:
            with self._lock:
                self.port.write(data)
        except (serial.SerialException, OSError) as exc:
            raise DeviceFault(f"lost the connection to {self.name}: {exc}") from None

    def read_line(self, timeout: float) -> str | None:
        """The next non-empty line (without its end), or None after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            line = self._pop_line()
            if line is not None:
                return line
            if not self._fill(deadline):
                return None

    def poll(self) -> None:
        """Read what has arrived without waiting (keeps the XON/XOFF state current)."""
        self._fill(time.monotonic())

    def discard_input(self, quiet_s: float = 0.05, limit_s: float = 1.0) -> None:
        """Drop input until the device has been quiet for `quiet_s` (at most `limit_s`)."""
        end = time.monotonic() + limit_s
        while time.monotonic() < end:
            self._buffer.clear()
            if not self._fill(time.monotonic() + quiet_s):
                break
        self._buffer.clear()

    def close(self) -> None:
        with contextlib.suppress(serial.SerialException, OSError):
            self.port.close()

    def _pop_line(self) -> str | None:
        while True:
            cut = next((i for i, b in enumerate(self._buffer) if b in (10, 13)), -1)
            if cut < 0:
                return None
            raw = bytes(self._buffer[:cut])
            del self._buffer[: cut + 1]
            if raw:
                return raw.decode("latin-1")

    def _fill(self, deadline: float) -> bool:
        """Read some bytes, waiting until `deadline`; False when nothing came."""
        while True:
            try:
                waiting = self.port.in_waiting
                data = (
                    self.port.read(waiting or 1) if waiting or time.monotonic() < deadline else b""
                )
            except (serial.SerialException, OSError, TypeError) as exc:
                raise DeviceFault(f"lost the connection to {self.name}: {exc}") from None
            if data:
                self._take(data)
                return True
            if time.monotonic() >= deadline:
                return False

    def _take(self, data: bytes) -> None:
        for flow in (XON, XOFF):
            if flow in data:
                # The last flow byte in the chunk decides the state.
                last_on, last_off = data.rfind(XON), data.rfind(XOFF)
                self.xoff = last_off > last_on
                data = data.replace(XON, b"").replace(XOFF, b"")
                break
        self._buffer += data

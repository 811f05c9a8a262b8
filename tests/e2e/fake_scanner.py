"""A serial barcode scanner for the browser tests: opens a pseudo-terminal pair, prints the
slave's path, then sends each line read from stdin as one scan ended by CR, as a scanner set
to 115200 baud with a CR suffix does."""
import os
import pty
import sys
import tty

master, slave = pty.openpty()
tty.setraw(slave)
print(os.ttyname(slave), flush=True)
for line in sys.stdin:
    os.write(master, line.rstrip("\n").encode("utf-8") + b"\r")

"""Serve a directory on 127.0.0.1 for the online-install test: binds a free port, writes it to a file, serves
until killed. Usage: serve_release.py DIRECTORY PORT_FILE"""

import functools
import http.server
import os
import sys


def main():
    directory, port_file = sys.argv[1], sys.argv[2]
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=directory)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    with open(port_file + ".tmp", "w", encoding="utf-8") as handle:
        handle.write(str(server.server_address[1]))
    os.replace(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()

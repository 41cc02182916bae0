/* libzmq: the Jupyter kernel speaks ZeroMQ (ROUTER, PUB, REP sockets). */
#include <zmq.h>

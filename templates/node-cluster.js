// node-cluster.js: loaded by deploy (node --require, through
// NODE_OPTIONS) into each instance of a Node app in cluster mode whose
// instances all get the same PORT. deploy binds that port once and
// hands the socket to every instance as fd 3 (LISTEN_FDS=1); this file
// makes the app's own server.listen(PORT) (also listen(PORT, host),
// listen({port}), and so Express, Koa, Nest and Next) take that socket,
// so the instances share the port with no change to the app, as under
// PM2's cluster master. Any other listen() is left alone.
'use strict';
const net = require('net');

const port = Number(process.env.DEPLOY_SHARED_PORT);
const fds = Number(process.env.LISTEN_FDS || 0);
delete process.env.DEPLOY_SHARED_PORT;

// The port a listen() call asks for, or NaN.
function wanted(args) {
	const a = args[0];
	if (a !== null && typeof a === 'object' && !(a instanceof net.Server))
		return a.fd === undefined && a.path === undefined ?
			Number(a.port) : NaN;
	return typeof a === 'number' || typeof a === 'string' ? Number(a) :
		NaN;
}

if (port > 0 && fds >= 1) {
	const listen = net.Server.prototype.listen;
	let taken = false;

	net.Server.prototype.listen = function (...args) {
		if (taken || wanted(args) !== port)
			return listen.apply(this, args);
		taken = true;
		const cb = args.find((a) => typeof a === 'function');
		stopGracefully(this);
		return listen.call(this, { fd: 3 }, cb);
	};
}

// On deploy's stop signal, unless the app handles it itself: stop
// taking connections from the shared socket (the other instances take
// them), finish the requests under way, then exit, as PM2's cluster
// master lets a worker do on a reload. Idle keep-alive connections are
// not cut (a client may be sending on one at that moment): each carries
// one more request, answered with "Connection: close". kill_timeout
// still bounds it.
function stopGracefully(server) {
	let draining = false;
	const stop = (sig) => {
		if (process.listenerCount(sig) > 1 || draining)
			return;		/* the app's own handler does it */
		draining = true;
		server.prependListener('request', (req, res) => {
			if (!res.headersSent)
				res.setHeader('Connection', 'close');
		});
		server.closeIdleConnections = () => {};
		server.close(() => process.exit(0));
		setTimeout(() => process.exit(0), 5000).unref();
	};
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
}

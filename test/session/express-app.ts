// The express app of the express-session store's tests: login, an authenticated page, a peek
// that does not modify the session (so express-session touches it), a cart, logout and log out
// everywhere.
import type { AddressInfo } from 'node:net';
import express from 'express';
import session from 'express-session';
import type { ExpressSessionStore } from '../../src/session/index.js';

declare module 'express-session' {
  interface SessionData {
    userId?: string;
    views?: number;
    cart?: string[];
  }
}

export async function startApp(store: ExpressSessionStore) {
  const app = express();
  app.use(
    session({
      store: store as unknown as session.Store,
      genid: store.genid,
      name: 'sid',
      secret: 'test secret',
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax', maxAge: 60_000 },
    }),
  );
  app.post('/login/:user', async (req, res, next) => {
    try {
      await store.regenerateFor(req, req.params.user);
      req.session.userId = req.params.user;
      res.json({ ok: true });
    } catch (err) {
      next(err);
    }
  });
  app.get('/me', (req, res) => {
    if (!req.session.userId) {
      res.status(401).json({ error: 'not logged in' });
      return;
    }
    req.session.views = (req.session.views ?? 0) + 1;
    res.json({ user: req.session.userId, views: req.session.views });
  });
  app.get('/peek', (req, res) => {
    res.status(req.session.userId ? 200 : 401).json({ user: req.session.userId ?? null });
  });
  app.post('/cart/:item', (req, res) => {
    req.session.cart = [...(req.session.cart ?? []), req.params.item];
    res.json({ cart: req.session.cart });
  });
  app.post('/logout', (req, res, next) => {
    req.session.destroy((err) => (err ? next(err) : res.json({ ok: true })));
  });
  app.post('/logout-everywhere', async (req, res, next) => {
    try {
      const revoked = await store.destroyAll(req.session.userId as string);
      res.json({ revoked });
    } catch (err) {
      next(err);
    }
  });
  app.use((err: Error, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ error: err.message });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise((r) => server.close(r)) };
}

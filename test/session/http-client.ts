// An HTTP client with its own cookie jar and user agent (a browser, a phone, ...), for the
// session stores' tests over real express and Fastify servers.
export class Client {
  cookie = '';
  constructor(
    private readonly base: string,
    private readonly userAgent = 'test-browser/1.0',
  ) {}

  async request(method: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const headers: Record<string, string> = { 'user-agent': this.userAgent };
    if (this.cookie) headers.cookie = this.cookie;
    const res = await fetch(this.base + path, { method, headers });
    const set = res.headers.getSetCookie().find((c) => c.startsWith('sid='));
    if (set) this.cookie = set.split(';')[0] as string;
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  /** The sid inside the signed `sid` cookie: `s:<sid>.<signature>` (express-session) or `<sid>.<signature>` (@fastify/session). */
  sid(): string {
    const value = decodeURIComponent(this.cookie.slice(4));
    const signed = value.startsWith('s:') ? value.slice(2) : value;
    return signed.slice(0, signed.lastIndexOf('.'));
  }
}

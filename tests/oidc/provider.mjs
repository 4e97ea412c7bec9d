// A real OpenID provider (npm oidc-provider) on 127.0.0.1 over HTTPS, for the login tests.
//
// Usage: node provider.mjs <settings.json>
// settings: { cert, key, port (0 = any), clients: [...], users: { name: { password, email, groups } } }
// Prints one JSON line {"issuer": "https://127.0.0.1:<port>"} when ready.
//
// The login page is our own plain form (the library's development pages pull web fonts from
// the internet); consent is implied for the configured clients, as for a company's own apps.
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import querystring from 'node:querystring';

import Provider from 'oidc-provider';

const settings = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const users = settings.users;

// Redirect URIs of a console under test: any loopback port, the console's callback path.
const LOOPBACK = /^http:\/\/(127\.0\.0\.1|localhost|testserver)(:\d+)?\//;

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)}</title></head>`
    + `<body><h1>${escape(title)}</h1>${body}</body></html>`;
}

function signingKey() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: crypto.randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return querystring.parse(Buffer.concat(chunks).toString());
}

let provider;

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (req.method === 'POST') {
    const form = await readBody(req);
    const user = users[form.login];
    const given = Buffer.from(String(form.password || ''));
    const expected = Buffer.from(user ? user.password : '');
    if (user && given.length === expected.length && crypto.timingSafeEqual(given, expected)) {
      await provider.interactionFinished(req, res, { login: { accountId: form.login } },
        { mergeWithLastSubmission: false });
      return;
    }
    return send(res, 200, loginForm(uid, 'Invalid username or password.'));
  }
  return send(res, 200, loginForm(uid, ''));
}

function loginForm(uid, error) {
  return page('Sign in to the test provider',
    (error ? `<p id="error">${escape(error)}</p>` : '')
    + `<form method="post" action="/interaction/${escape(uid)}">`
    + '<label>Username <input name="login" id="username" autofocus required></label>'
    + '<label>Password <input name="password" id="password" type="password" required></label>'
    + '<button type="submit" id="sign-in">Sign in</button></form>');
}

function send(res, status, html) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(html);
}

const server = https.createServer({
  cert: fs.readFileSync(settings.cert),
  key: fs.readFileSync(settings.key),
}, async (req, res) => {
  try {
    const match = /^\/interaction\/([^/?]+)/.exec(req.url);
    if (match) return await interaction(req, res, match[1]);
    return provider.callback()(req, res);
  } catch (err) {
    return send(res, 400, page('Request failed', `<p>${escape(err.message)}</p>`));
  }
});

server.listen(settings.port || 0, '127.0.0.1', () => {
  const issuer = `https://127.0.0.1:${server.address().port}`;
  provider = new Provider(issuer, {
    clients: settings.clients,
    jwks: { keys: [signingKey()] },
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    // Groups in the ID token itself: the API servers read them from there (--oidc-groups-claim).
    conformIdTokenClaims: false,
    scopes: ['openid', 'profile', 'email', 'groups', 'offline_access'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
    },
    ttl: { IdToken: settings.idTokenTTL || 3600, AccessToken: 3600, Session: 3600, Grant: 3600, Interaction: 600 },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          ctx.body = page('Sign out of the test provider?',
            `${form}<button type="submit" form="op.logoutForm" value="yes" name="logout" id="confirm-logout">Yes, sign me out</button>`);
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.body = page('Signed out', '<p id="signed-out">You are signed out of the test provider.</p>');
        },
      },
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = page('Provider error', `<pre id="provider-error">${escape(out.error)}: ${escape(out.error_description || '')}</pre>`);
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, id) {
      const user = users[id];
      if (!user) return undefined;
      return {
        accountId: id,
        async claims() {
          return {
            sub: id,
            name: id,
            preferred_username: id,
            email: user.email,
            email_verified: true,
            groups: user.groups,
          };
        },
      };
    },
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) {
        const found = await ctx.oidc.provider.Grant.find(grantId);
        if (found) return found;
      }
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid profile email groups');
      await grant.save();
      return grant;
    },
  });
  provider.proxy = false;
  const allowed = (uri) => LOOPBACK.test(uri) && new URL(uri).pathname.startsWith('/');
  provider.Client.prototype.redirectUriAllowed = function redirectUriAllowed(uri) {
    return allowed(uri) && new URL(uri).pathname === '/api/auth/openid_callback';
  };
  provider.Client.prototype.postLogoutRedirectUriAllowed = allowed;
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));

// A real OpenID Connect provider for the back-office tests (npm `oidc-provider`, a certified implementation), on
// loopback: authorization code with PKCE, signed ID tokens, and its development sign-in form (any login name, any
// password). Login names map to the portal's groups, in the claim Cognito uses (`cognito:groups`).
// Usage: node oidc-provider.mjs PORT REDIRECT_URI
import Provider from 'oidc-provider';

const [port, redirect] = process.argv.slice(2);
if (!port || !redirect) throw new Error('usage: node oidc-provider.mjs PORT REDIRECT_URI');

const ACCOUNTS = {
  kiemduyet: { name: 'Nguyễn Thị Kiểm', groups: ['kiem-duyet'] },
  kiemduyet2: { name: 'Phạm Văn Duyệt', groups: ['kiem-duyet'] },
  bientap: { name: 'Trần Văn Biên', groups: ['bien-tap'] },
  quantri: { name: 'Lê Thị Quản', groups: ['quan-tri'] },
  khach: { name: 'Khách không có nhóm', groups: [] },
};

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'cchc-quan-tri',
    token_endpoint_auth_method: 'none',
    redirect_uris: [redirect],
    response_types: ['code'],
    grant_types: ['authorization_code'],
  }],
  claims: { openid: ['sub'], profile: ['name', 'cognito:groups'], email: ['email'] },
  // The groups ride in the ID token, as Cognito puts them.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  cookies: { keys: ['khoa-cookie-thu-nghiem'] },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    const account = ACCOUNTS[id] ?? { name: id, groups: [] };
    return { accountId: id, async claims() { return { sub: id, name: account.name, 'cognito:groups': account.groups }; } };
  },
});
provider.listen(Number(port), '127.0.0.1', () => console.log(`oidc provider at http://127.0.0.1:${port}`));

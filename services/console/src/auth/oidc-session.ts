import axios from 'axios';
import {
  beginSignIn,
  completeSignIn,
  discover,
  endSessionUrl,
  readCallback,
  refreshDelayMs,
  refreshTokens,
  type OidcHttp,
  type OidcSettings,
  type ProviderMetadata,
  type TokenSet,
} from './oidc';

/** The provider's endpoints over Axios (its CORS lets the console's origin in). */
const http: OidcHttp = {
  getJson: async (url) => (await axios.get(url, { timeout: 15_000 })).data,
  postForm: async (url, form) =>
    (await axios.post(url, new URLSearchParams(form), { timeout: 15_000 })).data,
};

/** The console is its own redirect and post-logout URI: the page at `/`. */
const consoleUri = () => `${window.location.origin}/`;

/** Goes to the provider to sign in; back here afterwards, at the page the user was on. */
export async function startOidcSignIn(settings: OidcSettings): Promise<void> {
  const provider = await discover(settings, http);
  window.location.assign(
    await beginSignIn(settings, provider, sessionStorage, consoleUri(), window.location.hash),
  );
}

/**
 * If this load is the provider's redirect: the signed-in session, with the query taken out of
 * the address bar and the page the sign-in started from restored. Undefined otherwise.
 */
export async function finishOidcSignIn(
  settings: OidcSettings,
  onEnded: (reason: string) => void,
): Promise<OidcSession | undefined> {
  const callback = readCallback(window.location.search);
  if (!callback) return undefined;
  // The code is single-use: out of the address bar at once, whatever happens next.
  window.history.replaceState(null, '', `/${window.location.hash}`);
  const provider = await discover(settings, http);
  const { tokens, returnTo } = await completeSignIn(
    settings,
    provider,
    sessionStorage,
    http,
    consoleUri(),
    callback,
  );
  window.history.replaceState(null, '', `/${returnTo}`);
  return new OidcSession(settings, provider, tokens, onEnded);
}

/**
 * The tokens of a signed-in user, in memory only: the access token is refreshed before it
 * expires; when that fails, `onEnded` says why.
 */
export class OidcSession {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private ended = false;

  constructor(
    private readonly settings: OidcSettings,
    private readonly provider: ProviderMetadata,
    private tokens: TokenSet,
    private readonly onEnded: (reason: string) => void,
  ) {
    this.schedule();
  }

  get accessToken(): string {
    return this.tokens.accessToken;
  }

  /**
   * The access token for a request: refreshed first if it is about to expire, should the timer
   * have been late (browsers slow timers down in background tabs).
   */
  async freshAccessToken(): Promise<string> {
    if (this.tokens.refreshToken && Date.now() >= this.tokens.expiresAt - 5_000) {
      await this.refresh();
    }
    return this.tokens.accessToken;
  }

  /** Drops the tokens; the address to end the provider's session too, if it offers one. */
  end(): string | undefined {
    this.ended = true;
    clearTimeout(this.timer);
    const url = endSessionUrl(this.settings, this.provider, this.tokens, consoleUri());
    this.tokens = { ...this.tokens, accessToken: '', refreshToken: undefined };
    return url;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), refreshDelayMs(this.tokens));
  }

  /** One refresh at a time: the timer and the requests that found the token expiring share it. */
  private refreshing: Promise<void> | undefined;

  private refresh(): Promise<void> {
    this.refreshing ??= refreshTokens(this.settings, this.provider, http, this.tokens)
      .then(
        (tokens) => {
          // Signed out while the refresh was on its way: its tokens are dropped too.
          if (this.ended) return;
          this.tokens = tokens;
          this.schedule();
        },
        () => {
          if (this.ended) return;
          this.end();
          this.onEnded('Your session has ended (it could not be renewed). Sign in again.');
        },
      )
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }
}

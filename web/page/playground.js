// The Switchboard playground: a sign-in form that exchanges an email and
// password for a bearer token (the login mutation), then GraphiQL sending
// that token with every request: as the Authorization header over HTTP and
// as {"authorization": "Bearer <token>"} in the websocket's connection_init
// payload. The token is kept in sessionStorage: it lives as long as the tab
// and is revoked on sign-out.
'use strict';

(() => {
	const config = document.body.dataset;
	const url = new URL(config.endpoint, location.href).href;
	const subscriptionUrl = config.subscriptionEndpoint ||
		url.replace(/^http(s?):/, (_, s) => 'ws' + s + ':');
	const adminsOnly = config.adminsOnly === 'true';
	const sessionKey = 'switchboard.playground.session';

	const defaultQuery = `# Switchboard: you are signed in, and the Docs button (the book, left) lists
# every type, such as Engagement. Press the run button (or Ctrl-Enter).
query Me {
  me {
    id
    name
    email
    role
    state
  }
}

# Your own live events: rings (offer.created), assignments, messages.
# Uncomment, run it, and events arrive while it runs.
# subscription AgentEvents {
#   agentEvents {
#     sequence
#     topic
#     at
#     engagementID
#     payload
#   }
# }
`;

	const loginMutation = `mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { token agent { email role } }
}`;

	const el = id => document.getElementById(id);
	let root = null;

	// post sends one GraphQL operation and returns its decoded response.
	async function post(query, variables, token) {
		const headers = {'Content-Type': 'application/json'};
		if (token) headers.Authorization = 'Bearer ' + token;
		const res = await fetch(url, {method: 'POST', headers, body: JSON.stringify({query, variables})});
		return res.json();
	}

	function saved() {
		try {
			const s = JSON.parse(sessionStorage.getItem(sessionKey));
			return s && typeof s.token === 'string' ? s : null;
		} catch {
			return null;
		}
	}

	function showSignIn(message) {
		if (root) {
			root.unmount();
			root = null;
		}
		el('session').hidden = true;
		el('signin').hidden = false;
		const err = el('signin-error');
		err.textContent = message || '';
		err.hidden = !message;
		el('signin-password').value = '';
		el('signin-email').focus();
	}

	// endSession forgets the token; the form says why when message is set.
	function endSession(message) {
		sessionStorage.removeItem(sessionKey);
		showSignIn(message);
	}

	// watchedFetch is GraphiQL's fetch: an answer saying the token is no
	// longer accepted (expired, revoked) ends the session.
	async function watchedFetch(input, init) {
		const res = await fetch(input, init);
		if ((res.headers.get('Content-Type') || '').includes('json')) {
			const body = await res.clone().json().catch(() => null);
			const errors = (body && body.errors) || [];
			if (errors.some(e => e.extensions && e.extensions.code === 'UNAUTHENTICATED')) {
				endSession('The session ended (the token expired or was revoked): sign in again.');
			}
		}
		return res;
	}

	function showSession(session) {
		el('signin').hidden = true;
		el('session').hidden = false;
		el('session-email').textContent = session.email;
		const bearer = 'Bearer ' + session.token;
		const fetcher = GraphiQL.createFetcher({
			url,
			subscriptionUrl,
			headers: {Authorization: bearer},
			wsConnectionParams: {authorization: bearer},
			fetch: watchedFetch,
		});
		root = ReactDOM.createRoot(el('graphiql'));
		root.render(React.createElement(GraphiQL, {
			fetcher,
			defaultQuery,
			isHeadersEditorEnabled: true,
			shouldPersistHeaders: false,
			inputValueDeprecation: true,
		}));
	}

	el('signin').addEventListener('submit', async event => {
		event.preventDefault();
		const submit = el('signin-submit');
		submit.disabled = true;
		el('signin-error').hidden = true;
		try {
			const email = el('signin-email').value.trim();
			const out = await post(loginMutation, {email, password: el('signin-password').value});
			const login = out.data && out.data.login;
			if (!login) {
				const e = (out.errors || [])[0];
				showSignIn(e ? e.message : 'Sign-in failed.');
				return;
			}
			if (adminsOnly && login.agent.role !== 'ADMIN') {
				await post('mutation { revokeToken { revoked } }', null, login.token).catch(() => {});
				showSignIn('The playground is for admins; ' + login.agent.email + ' is ' + login.agent.role + '.');
				return;
			}
			const session = {token: login.token, email: login.agent.email};
			sessionStorage.setItem(sessionKey, JSON.stringify(session));
			showSession(session);
		} catch (e) {
			showSignIn('Sign-in failed: ' + e.message);
		} finally {
			submit.disabled = false;
		}
	});

	el('signout').addEventListener('click', async () => {
		const session = saved();
		if (session) {
			// The token is revoked on the server, not only forgotten here.
			await post('mutation { revokeToken { revoked } }', null, session.token).catch(() => {});
		}
		endSession('Signed out.');
	});

	const session = saved();
	if (session) {
		showSession(session);
	} else {
		showSignIn();
	}
})();

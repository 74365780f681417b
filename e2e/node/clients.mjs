// Runs real JavaScript clients against a Switchboard server and prints what
// happened as one JSON object on stdout, for e2e/node_test.go to check:
//   SWITCHBOARD_URL=http://127.0.0.1:PORT/graphql SWITCHBOARD_TOKEN=sbt_… node clients.mjs
//
// 1. Apollo Client 4 with PersistedQueryLink (automatic persisted queries):
//    the first request sends only the hash, the server answers
//    PERSISTED_QUERY_NOT_FOUND, the link retries with hash and document; a
//    second client then gets its answer from the hash alone.
// 2. The graphql-ws client: connection_init with the token, then
//    agentEvents(after: "0") replays the agent.state_changed event that a
//    setAgentState mutation (through Apollo) appended.
import { createHash } from 'node:crypto';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const url = process.env.SWITCHBOARD_URL;
const token = process.env.SWITCHBOARD_TOKEN;
if (!url || !token) {
  console.error('SWITCHBOARD_URL and SWITCHBOARD_TOKEN must be set');
  process.exit(2);
}

const sha256 = (s) => createHash('sha256').update(s).digest('hex');

// Every HTTP exchange: what was sent and what came back.
const exchanges = [];
async function recordingFetch(input, init) {
  const sent = JSON.parse(init.body);
  const res = await fetch(input, init);
  const body = await res.clone().json();
  exchanges.push({
    hashOnly: !sent.query,
    hash: sent.extensions?.persistedQuery?.sha256Hash ?? null,
    status: res.status,
    codes: (body.errors ?? []).map((e) => e.extensions?.code ?? null),
  });
  return res;
}

function apollo() {
  const link = new PersistedQueryLink({ sha256 }).concat(
    new HttpLink({ uri: url, fetch: recordingFetch, headers: { authorization: `Bearer ${token}` } }),
  );
  return new ApolloClient({ link, cache: new InMemoryCache() });
}

const ME = gql`query Me { me { email role } }`;
const out = { apollo: {}, graphqlWs: {} };

const first = await apollo().query({ query: ME, fetchPolicy: 'network-only' });
out.apollo.first = { data: first.data, exchanges: exchanges.splice(0) };
const second = await apollo().query({ query: ME, fetchPolicy: 'network-only' });
out.apollo.second = { data: second.data, exchanges: exchanges.splice(0) };

const set = await apollo().mutate({
  mutation: gql`mutation Ready { setAgentState(state: AVAILABLE) { agent { state } } }`,
});
out.apollo.mutation = set.data;

const ws = createClient({
  url: url.replace(/^http/, 'ws'),
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${token}` },
  lazy: true,
  retryAttempts: 0,
});
let ack;
ws.on('connected', (_socket, payload) => { ack = payload ?? null; });
out.graphqlWs.event = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('no event within 10 s')), 10000);
  const stop = ws.subscribe(
    { query: 'subscription { agentEvents(after: "0") { sequence topic payload } }' },
    {
      next: (msg) => {
        if (msg.errors) { clearTimeout(timer); reject(new Error(JSON.stringify(msg.errors))); return; }
        const ev = msg.data.agentEvents;
        if (ev.topic === 'agent.state_changed') { clearTimeout(timer); stop(); resolve(ev); }
      },
      error: (err) => { clearTimeout(timer); reject(err instanceof Error ? err : new Error(JSON.stringify(err))); },
      complete: () => {},
    },
  );
});
out.graphqlWs.ack = ack;
await ws.dispose();
console.log(JSON.stringify(out));

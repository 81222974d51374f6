#!/usr/bin/env node
// Drive the mwn client (npm, pinned in mwn/package-lock.json) against a
// MediaWiki api.php.
//
// Usage: node mwn_drive.js <api-url>
//
// Logs in with a bot password, fetches a CSRF token, edits a page, loses the
// session (the session cookies are replaced by ids the wiki does not know,
// which is what a client holds after the wiki forgot its session) and edits
// again: mwn recovers by itself (assertuserfailed -> login() -> retry; the
// retry still carries the old CSRF token, so badtoken -> action=paraminfo
// for the token type -> new tokens -> retry). Then it logs out and checks
// that it is anonymous. Any failure ends the script with exit status 1 and a
// line starting "FAIL".
//
// The account comes from MWAUTH_THIRDPARTY_USER and
// MWAUTH_THIRDPARTY_PASSWORD, by default the public test account of the
// project's local test wiki. The password is never printed.
'use strict';

const path = require('path');
const crypto = require('crypto');
const { Mwn } = require(path.join(__dirname, 'mwn', 'node_modules', 'mwn'));
const mwnVersion = require(path.join(__dirname, 'mwn', 'node_modules', 'mwn', 'package.json')).version;

let current = 'start';
function fail(msg) {
	console.log(`FAIL [mwn ${mwnVersion}] ${current}: ${msg}`);
	process.exit(1);
}
function step(name) {
	current = name;
	console.log(`mwn: ${name}`);
}
function check(ok, msg) {
	if (!ok) fail(msg);
}

async function main() {
	const api = process.argv[2];
	if (!api) {
		console.error('usage: node mwn_drive.js <api-url>');
		process.exit(2);
	}
	const username = process.env.MWAUTH_THIRDPARTY_USER || 'BotUser@localbot';
	const password = process.env.MWAUTH_THIRDPARTY_PASSWORD || 'botuserbotpassword0123456789abcd';
	const wantName = username.split('@')[0];

	const bot = new Mwn({
		apiUrl: api,
		username,
		password,
		userAgent: 'mwauth-thirdparty/1.0 (https://github.com/mwauth/mwauth)',
		// assert=user on every request is what makes mwn notice a lost session.
		defaultParams: { assert: 'user' },
		maxRetries: 3,
		silent: true,
	});
	// Record the actions mwn sends, to show which recovery path it took.
	const actions = [];
	bot.axiosInstance.interceptors.request.use((cfg) => {
		let action = cfg.params && cfg.params.action;
		if (!action && typeof cfg.data === 'string') {
			action = new URLSearchParams(cfg.data).get('action');
		}
		actions.push(action || '?');
		return cfg;
	});

	step('login with a bot password (then tokens, siteinfo with namespaces, userinfo)');
	await bot.login();
	check(bot.loggedIn, 'not logged in after login()');
	check(bot.state.lgusername === wantName, `logged in as ${bot.state.lgusername}`);
	const title = new bot.Title('MediaWiki:Common.js');
	check(title.getNamespaceId() === 8, 'namespace data from siteinfo not understood');

	step('csrf token');
	const token = await bot.getCsrfToken();
	check(token && token !== '+\\', 'no session CSRF token (got the anonymous one)');

	const page = 'Mwauth third-party check/mwn';
	step('edit');
	let r = await bot.save(page, 'first edit ' + crypto.randomBytes(8).toString('hex'), 'mwauth third-party check (mwn)');
	check(r.result === 'Success', `edit answered ${JSON.stringify(r)}`);

	step('lost session: the wiki no longer knows the session cookie; mwn recovers by itself');
	let forgotten = 0;
	for (const c of bot.cookieJar.getCookiesSync(api)) {
		if (c.key.endsWith('_session') || c.key.endsWith('_BPsession')) {
			c.value = crypto.randomBytes(16).toString('hex');
			bot.cookieJar.setCookieSync(c, api);
			forgotten++;
		}
	}
	check(forgotten > 0, 'no session cookie to forget');
	const before = actions.length;
	r = await bot.save(page, 'after the lost session ' + crypto.randomBytes(8).toString('hex'), 'mwauth third-party check (mwn)');
	check(r.result === 'Success' && r.newrevid > 0, `edit after the lost session answered ${JSON.stringify(r)}`);
	const recovery = actions.slice(before);
	console.log(`mwn: recovery requests: ${recovery.join(' ')}`);
	check(recovery.includes('login'), 'mwn did not log in again');

	step('logout');
	await bot.logout();
	const ui = await bot.userinfo({ assert: undefined });
	check(ui.anon === true, `still logged in as ${ui.name} after logout`);
	console.log('mwn: OK');
}

main().catch((err) => {
	// mwn's errors can carry the request (and so the password): print the code only.
	fail(`${err && err.code ? err.code : 'error'}: ${err && err.info ? err.info : String(err && err.message)}`);
});

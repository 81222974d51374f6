<?php
/**
 * FakeSSO: a primary authentication provider for mwauth's MediaWiki 1.43 test
 * wiki only. up.sh copies it into the data dir (the chroot cannot see this
 * folder) and loads it when LOCALWIKI_FAKESSO=1.
 *
 * The same provider as internal/localwiki/fakesso.php (1.39), with two changes
 * for 1.43: RawMessage lives in MediaWiki\Language, and User no longer has a
 * READ_NORMAL constant, so testUserExists() defaults to
 * IDBAccessObject::READ_NORMAL.
 *
 * A stock MediaWiki never answers action=clientlogin with REDIRECT or RESTART;
 * only SSO-style extensions (OAuth, OpenID Connect, SAML) do. This provider
 * plays such an extension, so that the real AuthManager and API modules
 * produce those statuses:
 *
 *   clientlogin fakessologin=1 ...             -> REDIRECT to <server>/fakesso-idp?state=..&returnto=..
 *                                                 redirectdata {state}, next request: fakessocode
 *   clientlogin logincontinue=1 fakessocode=
 *       "user:NAME"                            -> PASS as the existing user NAME
 *       "nouser"                               -> RESTART (authmanager-authn-no-local-user)
 *       anything else                          -> FAIL (localwiki-fakesso-failed)
 *
 * The identity provider URL is never served: a test reads redirecttarget and
 * continues with a code of its choice.
 */

use MediaWiki\Auth\AbstractPrimaryAuthenticationProvider;
use MediaWiki\Auth\AuthenticationRequest;
use MediaWiki\Auth\AuthenticationResponse;
use MediaWiki\Auth\AuthManager;
use MediaWiki\Auth\ButtonAuthenticationRequest;
use MediaWiki\Language\RawMessage;
use Wikimedia\Rdbms\IDBAccessObject;

/** The request a client answers after the REDIRECT: the code the "IdP" returned. */
class LocalWikiFakeSSOCodeRequest extends AuthenticationRequest {
	/** @var string|null */
	public $fakessocode;

	public function getFieldInfo() {
		return [
			'fakessocode' => [
				'type' => 'string',
				'label' => wfMessage( 'localwiki-fakesso-code' ),
				'help' => wfMessage( 'localwiki-fakesso-code-help' ),
			],
		];
	}

	public function describeCredentials() {
		return [
			'provider' => wfMessage( 'localwiki-fakesso-provider' ),
			'account' => new RawMessage( '$1', [ 'fakesso' ] ),
		];
	}
}

class LocalWikiFakeSSOProvider extends AbstractPrimaryAuthenticationProvider {
	private const STATE_KEY = 'LocalWikiFakeSSO:state';

	public function getAuthenticationRequests( $action, array $options ) {
		if ( $action !== AuthManager::ACTION_LOGIN ) {
			return [];
		}
		// Shows up in meta=authmanagerinfo as ButtonAuthenticationRequest:fakessologin.
		return [ new ButtonAuthenticationRequest(
			'fakessologin',
			wfMessage( 'localwiki-fakesso-button' ),
			wfMessage( 'localwiki-fakesso-button-help' ),
			true
		) ];
	}

	public function beginPrimaryAuthentication( array $reqs ) {
		$button = ButtonAuthenticationRequest::getRequestByName( $reqs, 'fakessologin' );
		if ( !$button ) {
			// An ordinary password login: let the password providers handle it.
			return AuthenticationResponse::newAbstain();
		}
		$state = MWCryptRand::generateHex( 16 );
		$this->manager->setAuthenticationSessionData( self::STATE_KEY, $state );
		$idp = wfAppendQuery( $this->config->get( 'Server' ) . '/fakesso-idp', [
			'state' => $state,
			'returnto' => $button->returnToUrl,
		] );
		return AuthenticationResponse::newRedirect(
			[ new LocalWikiFakeSSOCodeRequest() ], $idp, [ 'state' => $state ] );
	}

	public function continuePrimaryAuthentication( array $reqs ) {
		$req = AuthenticationRequest::getRequestByClass( $reqs, LocalWikiFakeSSOCodeRequest::class );
		$code = $req ? (string)$req->fakessocode : '';
		if ( str_starts_with( $code, 'user:' ) ) {
			return AuthenticationResponse::newPass( substr( $code, strlen( 'user:' ) ) );
		}
		if ( $code === 'nouser' ) {
			// "Authenticated, but no local account": AuthManager turns this into RESTART.
			return AuthenticationResponse::newPass( null );
		}
		return AuthenticationResponse::newFail( wfMessage( 'localwiki-fakesso-failed' ) );
	}

	public function testUserExists( $username, $flags = IDBAccessObject::READ_NORMAL ) {
		return false;
	}

	public function providerAllowsAuthenticationDataChange( AuthenticationRequest $req, $checkData = true ) {
		return StatusValue::newGood( 'ignored' );
	}

	public function providerChangeAuthenticationData( AuthenticationRequest $req ) {
	}

	public function accountCreationType() {
		return self::TYPE_NONE;
	}

	public function beginPrimaryAccountCreation( $user, $creator, array $reqs ) {
		return AuthenticationResponse::newAbstain();
	}
}

$wgMessagesDirs['LocalWikiFakeSSO'] = __DIR__ . '/fakesso-i18n';
// Sort 50: after TemporaryPassword (0), before LocalPassword (100). It abstains
// unless the fakessologin button was sent, so password logins are unaffected.
$wgAuthManagerAutoConfig['primaryauth'][LocalWikiFakeSSOProvider::class] = [
	'class' => LocalWikiFakeSSOProvider::class,
	'sort' => 50,
];

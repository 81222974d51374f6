<?php
/**
 * Puts mwauth's MediaWiki 1.43 test wiki's accounts into a known state. up.sh
 * runs it inside the trixie chroot on every start, so it must be idempotent:
 *   - every account exists, has its fixed password and its groups;
 *   - every bot password is deleted and created again (fixed password, all grants);
 *   - the two-factor user is enrolled in TOTP again with the fixed secret and
 *     the fixed recovery codes (single use on 1.43, so every start restores them).
 *
 *   php seed.php --conf $LOCALWIKI_DIR/LocalSettings.php
 *
 * The values come from the LW_* environment variables (accounts.env, exported
 * by up.sh).
 *
 * What differs from internal/localwiki/seed.php (1.39):
 *   - OATHAuth on 1.43 stores one row per device in oathauth_devices
 *     (oad_data = {"secret":..,"scratch_tokens":[..]}), not a JSON blob per
 *     user in oathauth_users; OATHUser::setModule()/setKeys() are gone and the
 *     services come from OATHAuthServices. Enrolment is removeAll() + createKey().
 *   - BotPassword, User, ExtensionRegistry and IDBAccessObject are imported from
 *     their 1.43 namespaces.
 */

$IP = getenv( 'MW_INSTALL_PATH' ) ?: '/usr/share/mediawiki';
require_once "$IP/maintenance/Maintenance.php";

use MediaWiki\Auth\AuthManager;
use MediaWiki\Extension\OATHAuth\OATHAuthServices;
use MediaWiki\MediaWikiServices;
use MediaWiki\Registration\ExtensionRegistry;
use MediaWiki\User\BotPassword;
use MediaWiki\User\User;
use Wikimedia\Rdbms\IDBAccessObject;

class MwauthSeedLocalWiki143 extends Maintenance {
	public function __construct() {
		parent::__construct();
		$this->addDescription( 'Create or reset the accounts of the mwauth MediaWiki 1.43 test wiki' );
	}

	private function need( string $var ): string {
		$v = getenv( $var );
		if ( $v === false || $v === '' ) {
			$this->fatalError( "seed.php: \$$var is empty; run it through up.sh" );
		}
		return $v;
	}

	public function execute() {
		$services = MediaWikiServices::getInstance();
		$users = $services->getUserFactory();

		// name => [ password, groups ]
		$accounts = [
			$this->need( 'LW_ADMIN_USER' ) => [ $this->need( 'LW_ADMIN_PASS' ), [ 'sysop', 'bureaucrat', 'interface-admin' ] ],
			$this->need( 'LW_BOT_USER' ) => [ $this->need( 'LW_BOT_PASS' ), [ 'bot' ] ],
			$this->need( 'LW_USER' ) => [ $this->need( 'LW_USER_PASS' ), [] ],
			$this->need( 'LW_2FA_USER' ) => [ $this->need( 'LW_2FA_PASS' ), [] ],
			$this->need( 'LW_CAPTCHA_USER' ) => [ $this->need( 'LW_CAPTCHA_PASS' ), [] ],
			$this->need( 'LW_THROTTLE_USER' ) => [ $this->need( 'LW_THROTTLE_PASS' ), [] ],
		];
		foreach ( $accounts as $name => [ $password, $groups ] ) {
			$this->account( $users->newFromName( $name ), $password, $groups );
		}

		// "User@app" bot passwords with every grant there is.
		$grants = $services->getGrantsInfo()->getValidGrants();
		$passwords = $services->getPasswordFactory();
		$bots = [
			[ 'LW_ADMIN_USER', 'LW_ADMIN_BOTAPP', 'LW_ADMIN_BOTPASS' ],
			[ 'LW_BOT_USER', 'LW_BOT_BOTAPP', 'LW_BOT_BOTPASS' ],
			[ 'LW_2FA_USER', 'LW_2FA_BOTAPP', 'LW_2FA_BOTPASS' ],
		];
		foreach ( $bots as [ $userVar, $appVar, $passVar ] ) {
			$user = $users->newFromName( $this->need( $userVar ) );
			$app = $this->need( $appVar );
			$pass = $this->need( $passVar );
			if ( strlen( $pass ) < BotPassword::PASSWORD_MINLENGTH ) {
				$this->fatalError( "seed.php: \$$passVar is shorter than " . BotPassword::PASSWORD_MINLENGTH );
			}
			$existing = BotPassword::newFromUser( $user, $app, IDBAccessObject::READ_LATEST );
			if ( $existing ) {
				$existing->delete();
			}
			$bp = BotPassword::newUnsaved( [ 'user' => $user, 'appId' => $app, 'grants' => $grants ] );
			$status = $bp->save( 'insert', $passwords->newFromPlaintext( $pass ) );
			if ( !$status->isGood() ) {
				$this->fatalError( "seed.php: bot password {$user->getName()}@$app: " .
					$status->getMessage( false, false, 'en' )->text() );
			}
			$this->output( "bot password {$user->getName()}@$app: ok\n" );
		}

		$this->enrolTotp( $users->newFromName( $this->need( 'LW_2FA_USER' ) ) );
	}

	private function account( User $user, string $password, array $groups ): void {
		$name = $user->getName();
		if ( $user->idForName() === 0 ) {
			$status = MediaWikiServices::getInstance()->getAuthManager()
				->autoCreateUser( $user, AuthManager::AUTOCREATE_SOURCE_MAINT, false );
			if ( !$status->isGood() ) {
				$this->fatalError( "seed.php: creating $name: " . $status->getMessage( false, false, 'en' )->text() );
			}
			$this->output( "user $name: created\n" );
		}
		$status = $user->changeAuthenticationData( [
			'username' => $name, 'password' => $password, 'retype' => $password,
		] );
		if ( !$status->isGood() ) {
			$this->fatalError( "seed.php: password of $name: " . $status->getMessage( false, false, 'en' )->text() );
		}
		$ugm = MediaWikiServices::getInstance()->getUserGroupManager();
		foreach ( $groups as $group ) {
			$ugm->addUserToGroup( $user, $group );
		}
		$this->output( "user $name: password set, groups [" . implode( ',', $groups ) . "]\n" );
	}

	private function enrolTotp( User $user ): void {
		if ( !ExtensionRegistry::getInstance()->isLoaded( 'OATHAuth' ) ) {
			$this->fatalError( 'seed.php: OATHAuth is not loaded' );
		}
		$oath = OATHAuthServices::getInstance();
		$repo = $oath->getUserRepository();
		$oathUser = $repo->findByUser( $user );
		// Remove every device of the user, then create exactly one TOTP key.
		$repo->removeAll( $oathUser, '127.0.0.1', false );
		$repo->createKey( $oathUser, $oath->getModuleRegistry()->getModuleByKey( 'totp' ), [
			'secret' => $this->need( 'LW_2FA_SECRET' ),
			'scratch_tokens' => explode( ',', $this->need( 'LW_2FA_SCRATCH' ) ),
		], '127.0.0.1' );
		$n = count( $oathUser->getKeys() );
		if ( $n !== 1 ) {
			$this->fatalError( "seed.php: {$user->getName()} has $n TOTP keys after enrolment, want 1" );
		}
		$this->output( "user {$user->getName()}: TOTP enrolled\n" );
	}
}

$maintClass = MwauthSeedLocalWiki143::class;
require_once RUN_MAINTENANCE_IF_MAIN;

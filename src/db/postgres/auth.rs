//! Password authentication: PostgreSQL's md5 scheme and SCRAM-SHA-256
//! (RFC 5802 with RFC 7677's hash, as PostgreSQL uses it: no channel
//! binding, since this client speaks without TLS, and the user name left
//! empty in the SCRAM messages because the startup packet carries it).
//!
//! The password is used as given, without SASLprep: identical for ASCII
//! passwords, and PostgreSQL itself falls back to the raw bytes when a
//! password is not valid for SASLprep.

use alloc::string::String;
use alloc::vec::Vec;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use md5::Md5;
use sha2::{Digest, Sha256};

/// Most PBKDF2 iterations a server may ask for: PostgreSQL's default is
/// 4096; a hostile server could otherwise keep a small board busy for hours.
pub const MAX_SCRAM_ITERATIONS: u32 = 100_000;

/// The `md5` password message: `"md5" + md5hex(md5hex(password + user) + salt)`.
pub fn md5_password(user: &str, password: &str, salt: [u8; 4]) -> String {
    let mut inner = Md5::new();
    inner.update(password.as_bytes());
    inner.update(user.as_bytes());
    let inner_hex = hex(&inner.finalize());
    let mut outer = Md5::new();
    outer.update(inner_hex.as_bytes());
    outer.update(salt);
    let mut out = String::from("md5");
    out.push_str(&hex(&outer.finalize()));
    out
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// Why a SCRAM exchange failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScramError {
    /// The server's message does not parse.
    Malformed,
    /// The server's nonce does not extend ours.
    NonceMismatch,
    /// The server asked for more than [`MAX_SCRAM_ITERATIONS`].
    TooManyIterations,
    /// The server's signature is wrong: it does not know the password.
    BadServerSignature,
    /// The server reported an error (`e=...`).
    ServerRejected,
    /// The server accepted the login without proving it knows the password
    /// (no final SCRAM message).
    ServerSkippedProof,
}

impl core::fmt::Display for ScramError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ScramError::Malformed => "SCRAM: malformed server message",
            ScramError::NonceMismatch => "SCRAM: the server's nonce does not extend the client's",
            ScramError::TooManyIterations => "SCRAM: the server asks for too many iterations",
            ScramError::ServerSkippedProof => {
                "SCRAM: the server accepted the login without proving it knows the password"
            }
            ScramError::BadServerSignature => {
                "SCRAM: wrong server signature (the server does not know the password)"
            }
            ScramError::ServerRejected => "SCRAM: the server rejected the proof",
        })
    }
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length: this never fails.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// A SCRAM-SHA-256 client, one exchange: [`client_first`](Self::client_first),
/// then [`client_final`](Self::client_final) with the server-first message,
/// then [`verify_server_final`](Self::verify_server_final).
pub struct Scram {
    client_first_bare: String,
    nonce: String,
    password: Vec<u8>,
    /// Set by `client_final`: the AuthMessage and the expected server signature.
    server_signature: Option<[u8; 32]>,
}

impl Scram {
    /// The mechanism's name in PostgreSQL's AuthenticationSASL list.
    pub const MECHANISM: &'static str = "SCRAM-SHA-256";

    /// A client for `user` (empty for PostgreSQL) with a nonce made from
    /// `random` bytes (at least 18 for 144 bits).
    pub fn new(user: &str, password: &str, random: &[u8]) -> Scram {
        let nonce = BASE64.encode(random);
        let mut bare = String::from("n=");
        // RFC 5802 5.1: ',' and '=' in the name are escaped.
        for ch in user.chars() {
            match ch {
                ',' => bare.push_str("=2C"),
                '=' => bare.push_str("=3D"),
                c => bare.push(c),
            }
        }
        bare.push_str(",r=");
        bare.push_str(&nonce);
        Scram {
            client_first_bare: bare,
            nonce,
            password: password.as_bytes().to_vec(),
            server_signature: None,
        }
    }

    /// The client-first message: no channel binding (`n,,`).
    pub fn client_first(&self) -> String {
        let mut s = String::from("n,,");
        s.push_str(&self.client_first_bare);
        s
    }

    /// The client-final message answering `server_first`
    /// (`r=<nonce>,s=<salt>,i=<iterations>`).
    pub fn client_final(&mut self, server_first: &[u8]) -> Result<String, ScramError> {
        let server_first = core::str::from_utf8(server_first).map_err(|_| ScramError::Malformed)?;
        let mut nonce = None;
        let mut salt = None;
        let mut iterations = None;
        for attr in server_first.split(',') {
            match attr.split_once('=') {
                Some(("r", v)) => nonce = Some(v),
                Some(("s", v)) => salt = Some(BASE64.decode(v).map_err(|_| ScramError::Malformed)?),
                Some(("i", v)) => {
                    iterations = Some(v.parse::<u32>().map_err(|_| ScramError::Malformed)?)
                }
                Some(("m", _)) => return Err(ScramError::Malformed),
                _ => {}
            }
        }
        let (Some(nonce), Some(salt), Some(iterations)) = (nonce, salt, iterations) else {
            return Err(ScramError::Malformed);
        };
        if !nonce.starts_with(&self.nonce) || nonce.len() == self.nonce.len() {
            return Err(ScramError::NonceMismatch);
        }
        if iterations == 0 {
            return Err(ScramError::Malformed);
        }
        if iterations > MAX_SCRAM_ITERATIONS {
            return Err(ScramError::TooManyIterations);
        }
        let mut salted = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(&self.password, &salt, iterations, &mut salted);
        let client_key = hmac(&salted, b"Client Key");
        let stored_key: [u8; 32] = Sha256::digest(client_key).into();
        let mut without_proof = String::from("c=biws,r=");
        without_proof.push_str(nonce);
        let mut auth_message = String::with_capacity(
            self.client_first_bare.len() + server_first.len() + without_proof.len() + 2,
        );
        auth_message.push_str(&self.client_first_bare);
        auth_message.push(',');
        auth_message.push_str(server_first);
        auth_message.push(',');
        auth_message.push_str(&without_proof);
        let client_signature = hmac(&stored_key, auth_message.as_bytes());
        let mut proof = client_key;
        for (p, s) in proof.iter_mut().zip(client_signature) {
            *p ^= s;
        }
        let server_key = hmac(&salted, b"Server Key");
        self.server_signature = Some(hmac(&server_key, auth_message.as_bytes()));
        let mut out = without_proof;
        out.push_str(",p=");
        out.push_str(&BASE64.encode(proof));
        Ok(out)
    }

    /// Checks the server-final message (`v=<signature>` or `e=<error>`).
    pub fn verify_server_final(&self, server_final: &[u8]) -> Result<(), ScramError> {
        let text = core::str::from_utf8(server_final).map_err(|_| ScramError::Malformed)?;
        let expected = self.server_signature.ok_or(ScramError::Malformed)?;
        for attr in text.split(',') {
            match attr.split_once('=') {
                Some(("v", v)) => {
                    let got = BASE64.decode(v).map_err(|_| ScramError::Malformed)?;
                    // Constant time: compare every byte whatever differs.
                    let same = got.len() == expected.len()
                        && got.iter().zip(expected).fold(0u8, |d, (a, b)| d | (a ^ b)) == 0;
                    return if same {
                        Ok(())
                    } else {
                        Err(ScramError::BadServerSignature)
                    };
                }
                Some(("e", _)) => return Err(ScramError::ServerRejected),
                _ => {}
            }
        }
        Err(ScramError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_scheme() {
        // Computed independently with Python's hashlib:
        //   inner = md5(b"secretalice").hexdigest()  # 4a0a68b4...: pg_authid's form
        //   "md5" + md5(inner.encode() + bytes([1, 2, 3, 4])).hexdigest()
        assert_eq!(
            md5_password("alice", "secret", [1, 2, 3, 4]),
            "md598a0412b9c31436fc53776e863350083"
        );
    }

    /// RFC 7677, section 3: user "user", password "pencil".
    #[test]
    fn scram_rfc7677_example() {
        // The RFC's client nonce is "rOprNGfwEbeRWgbNEkqO": base64 of these bytes.
        let random = BASE64.decode("rOprNGfwEbeRWgbNEkqO").unwrap();
        let mut scram = Scram::new("user", "pencil", &random);
        assert_eq!(scram.client_first(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        let server_first =
            b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        assert_eq!(
            scram.client_final(server_first).unwrap(),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        assert_eq!(
            scram.verify_server_final(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="),
            Ok(())
        );
        assert_eq!(
            scram.verify_server_final(b"v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="),
            Err(ScramError::BadServerSignature)
        );
        assert_eq!(
            scram.verify_server_final(b"e=invalid-proof"),
            Err(ScramError::ServerRejected)
        );
    }

    #[test]
    fn scram_refuses_bad_server_first() {
        let mut scram = Scram::new("", "pw", b"0123456789abcdefgh");
        let nonce = BASE64.encode(b"0123456789abcdefgh");
        let cases: [(String, ScramError); 5] = [
            (
                "r=someone-else,s=QUJD,i=4096".into(),
                ScramError::NonceMismatch,
            ),
            (
                alloc::format!("r={nonce},s=QUJD,i=4096"),
                ScramError::NonceMismatch,
            ),
            (
                alloc::format!("r={nonce}x,s=!!,i=4096"),
                ScramError::Malformed,
            ),
            (alloc::format!("r={nonce}x,s=QUJD"), ScramError::Malformed),
            (
                alloc::format!("r={nonce}x,s=QUJD,i=99999999"),
                ScramError::TooManyIterations,
            ),
        ];
        for (server_first, expected) in cases {
            assert_eq!(
                scram.client_final(server_first.as_bytes()),
                Err(expected),
                "{server_first}"
            );
        }
        assert_eq!(
            scram.verify_server_final(b"v=AAAA"),
            Err(ScramError::Malformed)
        );
    }
}

//! A schema of its own for each test run, dropped afterwards.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio_postgres::NoTls;

use super::error::PgSetupError;
use super::target::checked_config;

/// A schema created for one test run (`<prefix>_<pid>_<time>_<n>`, so runs
/// never collide) and dropped with everything in it by
/// [`drop_now`](Self::drop_now), or, if the test panicked first, when the
/// value is dropped.
///
/// The connection string goes through the same target check as
/// [`PgPool::builder`](super::PgPool::builder): a host that is not loopback
/// and not allowed is refused before any connection is opened, so neither
/// `CREATE SCHEMA` nor `DROP SCHEMA ... CASCADE` can reach another server.
/// Its `Debug` output has no password.
///
/// ```no_run
/// use spike::postgres::{PgPool, TempSchema};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let url = "postgres://postgres:postgres@127.0.0.1:5432/postgres";
/// let schema = TempSchema::create(url, "orders_test").await?;
/// schema.execute("CREATE TABLE orders (id int PRIMARY KEY)").await?;
/// let pg = PgPool::builder(url).search_path(schema.name()).build()?;
/// // ... run the scenario ...
/// pg.close();
/// schema.drop_now().await?;
/// # Ok(()) }
/// ```
pub struct TempSchema {
    config: tokio_postgres::Config,
    name: String,
    dropped: bool,
}

impl std::fmt::Debug for TempSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // tokio-postgres' `Config` prints its password as `_`.
        f.debug_struct("TempSchema")
            .field("config", &self.config)
            .field("name", &self.name)
            .field("dropped", &self.dropped)
            .finish()
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

async fn connect(config: &tokio_postgres::Config) -> Result<tokio_postgres::Client, PgSetupError> {
    let (client, connection) = config.connect(NoTls).await.map_err(PgSetupError::Db)?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

impl TempSchema {
    /// Create a fresh schema whose name starts with `prefix` (letters,
    /// digits and `_`; anything else becomes `_`).
    ///
    /// # Errors
    /// [`PgSetupError::BadUrl`] or [`PgSetupError::Refused`] before any
    /// connection; [`PgSetupError::Db`] for the database error of
    /// connecting or creating the schema.
    pub async fn create(url: &str, prefix: &str) -> Result<TempSchema, PgSetupError> {
        Self::create_allowing(url, prefix, &[]).await
    }

    /// Like [`create`](Self::create), also allowing the non-loopback hosts
    /// in `allowed` (`SPIKE_ALLOW_HOSTS` is always honoured).
    ///
    /// # Errors
    /// As for [`create`](Self::create).
    pub async fn create_allowing(
        url: &str,
        prefix: &str,
        allowed: &[String],
    ) -> Result<TempSchema, PgSetupError> {
        let config = checked_config(url, allowed)?;
        let clean: String = prefix
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() % 1_000_000_000_000);
        let name = format!(
            "{clean}_{}_{nanos}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let client = connect(&config).await?;
        client
            .batch_execute(&format!("CREATE SCHEMA \"{name}\""))
            .await
            .map_err(PgSetupError::Db)?;
        Ok(TempSchema {
            config,
            name,
            dropped: false,
        })
    }

    /// The schema's name (use it in `search_path` or to qualify tables).
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Run SQL (simple query protocol) with `search_path` set to this schema.
    ///
    /// # Errors
    /// [`PgSetupError::Db`] with the database error.
    pub async fn execute(&self, sql: &str) -> Result<(), PgSetupError> {
        let client = connect(&self.config).await?;
        client
            .batch_execute(&format!("SET search_path TO \"{}\"; {sql}", self.name))
            .await
            .map_err(PgSetupError::Db)
    }

    /// Whether the schema exists (for tests that check the cleanup).
    ///
    /// # Errors
    /// A refused or bad connection string as for [`create`](Self::create),
    /// [`PgSetupError::Db`] with the database error.
    pub async fn exists(url: &str, name: &str) -> Result<bool, PgSetupError> {
        let client = connect(&checked_config(url, &[])?).await?;
        let row = client
            .query_one(
                "SELECT count(*) FROM pg_namespace WHERE nspname = $1",
                &[&name],
            )
            .await
            .map_err(PgSetupError::Db)?;
        Ok(row.get::<_, i64>(0) == 1)
    }

    /// Drop the schema and everything in it, now.
    ///
    /// # Errors
    /// [`PgSetupError::Db`] with the database error (the schema may then
    /// still exist).
    pub async fn drop_now(mut self) -> Result<(), PgSetupError> {
        self.dropped = true;
        drop_schema(&self.config, &self.name).await
    }
}

/// Drop `name` on the server of `config`, which went through
/// [`checked_config`] when the schema was created.
async fn drop_schema(config: &tokio_postgres::Config, name: &str) -> Result<(), PgSetupError> {
    let client = connect(config).await?;
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"))
        .await
        .map_err(PgSetupError::Db)
}

impl Drop for TempSchema {
    /// A test that failed before [`drop_now`](Self::drop_now) still leaves
    /// nothing behind: the schema is dropped from a helper thread (the
    /// caller may be inside a runtime, where blocking on one is not allowed).
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let (config, name) = (self.config.clone(), self.name.clone());
        let cleanup = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(drop_schema(&config, &name))
                .map_err(std::io::Error::other)
        });
        if let Ok(Err(e)) = cleanup.join() {
            spike_core::notice::notice(&format!(
                "spike: could not drop schema `{}`: {e}",
                self.name
            ));
        }
    }
}

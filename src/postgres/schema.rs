//! A schema of its own for each test run, dropped afterwards.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio_postgres::NoTls;

/// A schema created for one test run (`<prefix>_<pid>_<time>_<n>`, so runs
/// never collide) and dropped with everything in it by
/// [`drop_now`](Self::drop_now), or, if the test panicked first, when the
/// value is dropped.
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
#[derive(Debug)]
pub struct TempSchema {
    url: String,
    name: String,
    dropped: bool,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

async fn connect(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
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
    /// The database error of connecting or creating the schema.
    pub async fn create(url: &str, prefix: &str) -> Result<TempSchema, tokio_postgres::Error> {
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
        let client = connect(url).await?;
        client
            .batch_execute(&format!("CREATE SCHEMA \"{name}\""))
            .await?;
        Ok(TempSchema {
            url: url.to_owned(),
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
    /// The database error.
    pub async fn execute(&self, sql: &str) -> Result<(), tokio_postgres::Error> {
        let client = connect(&self.url).await?;
        client
            .batch_execute(&format!("SET search_path TO \"{}\"; {sql}", self.name))
            .await
    }

    /// Whether the schema exists (for tests that check the cleanup).
    ///
    /// # Errors
    /// The database error.
    pub async fn exists(url: &str, name: &str) -> Result<bool, tokio_postgres::Error> {
        let client = connect(url).await?;
        let row = client
            .query_one(
                "SELECT count(*) FROM pg_namespace WHERE nspname = $1",
                &[&name],
            )
            .await?;
        Ok(row.get::<_, i64>(0) == 1)
    }

    /// Drop the schema and everything in it, now.
    ///
    /// # Errors
    /// The database error (the schema may then still exist).
    pub async fn drop_now(mut self) -> Result<(), tokio_postgres::Error> {
        self.dropped = true;
        drop_schema(&self.url, &self.name).await
    }
}

async fn drop_schema(url: &str, name: &str) -> Result<(), tokio_postgres::Error> {
    let client = connect(url).await?;
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE"))
        .await
}

impl Drop for TempSchema {
    /// A test that failed before [`drop_now`](Self::drop_now) still leaves
    /// nothing behind: the schema is dropped from a helper thread (the
    /// caller may be inside a runtime, where blocking on one is not allowed).
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let (url, name) = (self.url.clone(), self.name.clone());
        let cleanup = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(drop_schema(&url, &name))
                .map_err(std::io::Error::other)
        });
        if let Ok(Err(e)) = cleanup.join() {
            eprintln!("spike: could not drop schema `{}`: {e}", self.name);
        }
    }
}

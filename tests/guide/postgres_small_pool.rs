use spike::prelude::*;
use spike::postgres::{PgError, PgPool, PgStats, TempSchema};

#[spike_test(timeout = "60s")]
async fn a_burst_against_a_small_pool() {
    let url = "postgres://postgres:postgres@127.0.0.1:5432/postgres";
    let schema = TempSchema::create(url, "jobs_test").await.unwrap();
    // Commits need not wait for the disk here: the test is about the pool.
    let no_fsync = format!("{url}?options=-c%20synchronous_commit%3Doff");
    schema.execute("CREATE TABLE jobs (iteration bigint PRIMARY KEY, phase text)").await.unwrap();
    let pg = PgPool::builder(no_fsync)
        .pool_size(4)                 // 4 × 50 ms: ~80 operations/s
        .wait_timeout(ms(300))        // then `pool_timeout`
        .statement_timeout(secs(2))   // then `sqlstate_57014`
        .search_path(schema.name())
        .build().unwrap();
    pg.warm_up().await.unwrap();      // measure a warm pool, not connection setup
    let workload = pg.workload(|ctx: Ctx, client| async move {
        let i = ctx.iteration() as i64;
        client.execute("INSERT INTO jobs VALUES ($1, $2)", &[&i, &ctx.phase()]).await?;
        client.batch_execute("SELECT pg_sleep(0.05)").await?;
        Ok::<(), PgError>(())
    });
    let shape = Shape::builder()
        .hold(rps(40), secs(1)).named("baseline")
        .burst(rps(400), ms(500))     // 200 operations
        .recover(rps(40), secs(4))
        .build().unwrap();
    // 1 s windows: 40 operations each, so one slow operation does not
    // decide a window's p95; the band absorbs a loaded machine's jitter.
    let report = Scenario::new("pg-small-pool").shape(shape).window(secs(1))
        .recovery_criteria(RecoveryCriteria { tolerance: 0.5, slack: ms(50), ..Default::default() })
        .iteration_timeout(secs(5))
        .run(workload).await.unwrap();

    expect(&report)
        .phase("baseline").error_rate().at_most(pct(0))
        .phase("burst").errors("pool_timeout").at_least(40)
        .errors("pool_timeout").at_most(180)
        .run().recovery().within(ms(1_500))
        .verify();
    let stats = PgStats::of(&report);   // a view over the report
    println!("pool wait p95: baseline {} µs, burst {} µs",
        stats.pool_wait.phase("baseline").unwrap().p95_us,
        stats.pool_wait.phase("burst").unwrap().p95_us);
    pg.close();
    schema.drop_now().await.unwrap();
}

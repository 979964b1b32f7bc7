use spike::file::SpikeFile;
use spike::prelude::*;

#[spike_test(timeout = "60s")]
async fn the_login_file_holds_its_slos() -> Result<(), SpikeError> {
    let file = SpikeFile::load("examples/spikes/login.toml")?;
    let report = file.run().await?;
    file.verify(&report);
    expect(&report).request("home").count().at_least(60).verify();
    Ok(())
}

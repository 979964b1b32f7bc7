extern crate spike as load;

#[load::spike_test(crate = "load")]
async fn renamed() {}

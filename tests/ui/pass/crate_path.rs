// `crate = ".."` is accepted with a renamed crate and a re-export. (That the
// generated code really goes through it is proven by `tests/crate_path.rs`
// and by a unit test inside spike, where `::spike` does not resolve.)
extern crate spike as my_spike;

#[my_spike::spike_test(crate = "my_spike")]
async fn through_a_renamed_crate() {}

mod nested {
    #[allow(unused_imports)]
    pub(crate) use my_spike as reexported;
}

#[my_spike::spike_test(crate = "crate::nested::reexported")]
fn through_a_reexport() {}

fn main() {}

//! The `complaints` command.

fn main() {
    println!("complaints: under construction");
}

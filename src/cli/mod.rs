//! Argument parsing and subcommand dispatch.

mod embed;
mod progress;

use clap::{Parser, Subcommand};

/// Graph embeddings by PMI matrix factorization (NetMF).
#[derive(Parser)]
#[command(name = "pmivec", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Embed the nodes of an edge list.
    Embed(embed::EmbedArgs),
}

pub fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Embed(args) => embed::run(args),
    }
}

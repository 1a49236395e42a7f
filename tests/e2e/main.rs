//! End-to-end tests: the real server on a loopback port, driven over HTTP and WebSockets.

mod account;
mod browser;
mod chat;
mod child;
mod crash;
mod disk;
mod display;
mod guessing;
mod idle;
mod joins;
mod kill9;
mod loadtest;
mod lock;
mod malformed;
mod meeting;
mod origin;
mod restart;
mod roles;
mod sessions;
mod slots;
mod slow;
mod streams;
mod ui;
mod ui_present;
mod ui_streams;

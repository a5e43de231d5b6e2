"""What a running node offers its front ends, defined below the engines that implement it."""

return SegSam.Cli.CliApp.Run(args);

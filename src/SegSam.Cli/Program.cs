return SegSam.Cli.CliApp.Start(args);
